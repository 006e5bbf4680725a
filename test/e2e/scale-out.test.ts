/**
 * Scale-out: a builder of two BuildKit nodes, one per platform (the shape of a team with native arm64
 * machines; here the arm64 node runs under QEMU), builds one multi-platform image through the `builder`
 * key. Each node must have built its own platform.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { engine, TierStack } from "./engine";
import { getManifest, INDEX, platformManifests } from "./registry";
import { archivePgVersion, baseRef, requireTools, sh } from "./support";
import { ROOT } from "../helpers";

const WORK = mkdtempSync(join(tmpdir(), "pgi-scale-"));
const BUILDER = "postgres-images-split";
const NODES = { "linux/amd64": `${BUILDER}-linux-amd64`, "linux/arm64": `${BUILDER}-linux-arm64` } as const;
const CELL = "postgresql-17-minimal-trixie";

/**
 * The builds a node's BuildKit has run, by ref, from its build history: a solve answered wholly from the
 * node's cache (the tier's BuildKit state outlives a run) is listed too, so this tells which node built,
 * not whether anything was new. Compared as sets: the history is capped, so its length can stay put.
 */
function builds(node: string): Set<string> {
  const out = sh(join(ROOT, "scripts/builder.sh"), ["builds", node]).stdout;
  return new Set(out.split("\n").filter((l) => l.trim() !== ""));
}

describe("a two-node builder, one node per platform", { timeout: 30 * 60 * 1000 }, () => {
  before(() => {
    requireTools();
    engine(join(WORK, "state"));
    for (const platform of Object.keys(NODES)) sh("bash", [join(ROOT, "scripts/builder.sh"), "node", BUILDER, platform]);
  });

  it("the builder has one node per platform", () => {
    const out = sh("docker", ["buildx", "inspect", BUILDER]).stdout;
    for (const [platform, node] of Object.entries(NODES)) {
      const section = out.split(/^Name:/m).find((s) => s.trim().startsWith(node)) ?? "";
      assert.match(section, new RegExp(`Platforms:\\s+${platform.replace("/", "\\/")}\\b`), `${node} builds ${platform}:\n${out}`);
    }
  });

  it("builds one multi-platform image, each platform on its own node", async () => {
    const before = Object.fromEntries(Object.values(NODES).map((n) => [n, builds(n)]));
    const stack = new TierStack(
      "scale",
      {
        registry: `localhost:5000/e2e-scale-${Date.now()}`,
        postgresVersions: [archivePgVersion(baseRef(), 17)],
        previewVersions: [],
        imageTypes: ["minimal"],
        bases: [baseRef()],
        platforms: Object.keys(NODES),
        buildArgs: { PG_PACKAGES: "debian" },
        builder: BUILDER,
        signing: { mode: "none" },
      },
      {},
      WORK,
    );
    await stack.up();
    const image = (await stack.images())[CELL];
    const { manifest, digest } = await getManifest(image.ref);
    assert.equal(digest, image.digest);
    assert.equal(manifest.mediaType, INDEX);
    assert.deepEqual(platformManifests(manifest).map((m) => `${m.platform!.os}/${m.platform!.architecture}`).sort(), Object.keys(NODES));
    for (const node of Object.values(NODES)) {
      const added = [...builds(node)].filter((ref) => !before[node].has(ref));
      assert.ok(added.length > 0, `${node} ran a build (its history of ${before[node].size} builds has no new one)`);
    }
  });
});
