/**
 * `npm run catalogs` on the real engine: several stacks on a file backend, as CI's per-major production
 * stacks (production-17, production-18) hold them, merged into one set of upstream's files, signed with
 * cosign and checked with `cosign verify-blob`. The stacks here export a `catalogs` output the way the
 * program does (lib/catalogs/catalog.ts imageCatalogs over cells), without building images: what is under test is
 * the command, which reads them with `pulumi stack output` like any other stack's. A real build's catalogs
 * are checked in promotion.test.ts.
 *
 *   node --import tsx --test test/e2e/catalogs.test.ts
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as auto from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { scratchProject } from "../../engine/workspace";
import { imageCatalogs, type ClusterImageCatalog } from "../../lib/catalogs/catalog";
import { matrix } from "../../lib/matrix/matrix";
import { catalogProblems } from "../catalog-schema";
import { ROOT, settingsWith } from "../helpers";
import { engine } from "./engine";
import { deleteManifest, pushTinyImage } from "./registry";
import { cosign as cosignIn, requireTools, sh } from "./support";

const WORK = mkdtempSync(join(tmpdir(), "pgi-catalogs-"));
const DIR = join(WORK, "project");
const OUT = join(WORK, "published");
const PASSWORD = `e2e-catalogs-${process.pid}-${Date.now()}`;
/** The stacks' production repository: the tier's registry, so the command's registry check sees real digests. */
const REGISTRY = "localhost:5000/catalogs-e2e";
const REPO = `${REGISTRY}/postgresql`;

/** A real image in the registry per build (`CELL@MINUTE`), pushed once: what a stack's catalogs name. */
const pushed = new Map<string, string>();
const digestOf = (s: string): string => {
  if (!pushed.has(s)) pushed.set(s, pushTinyImage(REPO, s));
  return pushed.get(s)!;
};
const cosign = (args: string[]) => cosignIn(args, { cwd: WORK, password: PASSWORD, allowFail: true });

/**
 * What a production stack of one major exports: its minimal cells, each distro's build as
 * `VERSION@MINUTE` (a rebuilt distro may carry a newer minor than the other until both are rebuilt).
 */
function perMajor(builds: Record<"trixie" | "bookworm", string>): ClusterImageCatalog[] {
  const catalogs: ClusterImageCatalog[] = [];
  for (const distro of ["trixie", "bookworm"] as const) {
    const [version, minute] = builds[distro].split("@");
    const cells = matrix(settingsWith({ postgresVersions: [version], previewVersions: [], imageTypes: ["minimal"], environment: "production", registry: REGISTRY })).filter((c) => c.base.distro === distro);
    catalogs.push(
      ...imageCatalogs(cells.map((cell) => ({ cell, digest: digestOf(`${cell.name}@${minute}`), tags: [`${cell.repository}:${cell.version.lead}-${cell.type}-${distro}`, `${cell.repository}:${cell.version.clean}-${minute}-${cell.type}-${distro}`] }))),
    );
  }
  return catalogs;
}

const image = (clean: string, minute: string, distro: string) => `${REPO}:${clean}-${minute}-minimal-${distro}@${digestOf(`postgresql-${clean.split(".")[0]}-minimal-${distro}@${minute}`)}`;

function signing(key: string, tlogUpload = false): Record<string, unknown> {
  return { mode: "key", key, tlogUpload, verify: { publicKey: join(WORK, "cosign.pub") } };
}

/** A stack of the project on the tier's backend whose only output is `catalogs`. */
async function stackWith(name: string, catalogs: ClusterImageCatalog[] | undefined, signingValue: Record<string, unknown> = signing(join(WORK, "cosign.key"))): Promise<void> {
  writeFileSync(join(DIR, `Pulumi.${name}.yaml`), stringify({ config: { "postgres-images:signing": signingValue } }));
  const ws = await auto.LocalWorkspace.create({ workDir: DIR, program: () => Promise.resolve(catalogs === undefined ? {} : { catalogs }) });
  const stack = await auto.Stack.createOrSelect(name, ws);
  await stack.setConfig("postgres-images:cosignPassword", { value: PASSWORD, secret: true });
  await stack.up({ color: "never" });
}

function catalogsCommand(args: string[]) {
  return sh("npm", ["run", "--silent", "catalogs", "--", "--dir", DIR, "--out", OUT, ...args], { cwd: ROOT, allowFail: true });
}

const FILES = ["catalog-minimal-trixie.yaml", "catalog-minimal-bookworm.yaml", "kustomization.yaml"];
const read = (name: string) => readFileSync(join(OUT, name), "utf8");
const verifies = (name: string) => cosign(["verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--bundle", join(OUT, `${name}.sigstore.json`), join(OUT, name)]).status === 0;

describe("npm run catalogs: several stacks, one signed set of upstream's files", { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    requireTools();
    engine(join(WORK, "state"));
    scratchProject(DIR);
    sh("cosign", ["generate-key-pair"], { cwd: WORK, env: { COSIGN_PASSWORD: PASSWORD } });
    await stackWith("production-17", perMajor({ trixie: "17.12@202611300600", bookworm: "17.12@202611300610" }));
    await stackWith("production-18", perMajor({ trixie: "18.3@202611230600", bookworm: "18.3@202611230610" }));
  });

  it("merges the per-major stacks: each catalog lists both majors, sorted, dated by its newest build; every file verifies", () => {
    const r = catalogsCommand(["--stack", "organization/postgres-images/production-18", "--stack", "production-17"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.deepEqual(r.stdout.trim().split("\n"), FILES.map((n) => `${join(OUT, n)} (signed: ${n}.sigstore.json)`));
    assert.deepEqual(readdirSync(OUT).sort(), [...FILES, ...FILES.map((n) => `${n}.sigstore.json`)].sort());
    const trixie = parse(read("catalog-minimal-trixie.yaml")) as ClusterImageCatalog;
    assert.equal(trixie.metadata.name, "postgresql-minimal-trixie");
    assert.equal(trixie.metadata.labels["images.cnpg.io/date"], "20261130");
    assert.deepEqual(trixie.spec.images, [
      { major: 17, image: image("17.12", "202611300600", "trixie") },
      { major: 18, image: image("18.3", "202611230600", "trixie") },
    ]);
    const bookworm = parse(read("catalog-minimal-bookworm.yaml")) as ClusterImageCatalog;
    assert.deepEqual(bookworm.spec.images.map((i) => i.major), [17, 18]);
    for (const c of [trixie, bookworm]) assert.deepEqual(catalogProblems(c), [], c.metadata.name);
    assert.deepEqual((parse(read("kustomization.yaml")) as { resources: string[] }).resources, FILES.slice(0, 2));
    for (const n of FILES) assert.ok(verifies(n), n);
  });

  it("run again with nothing new, it changes nothing: the files and their bundles stay byte for byte", () => {
    const before = Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)]));
    const r = catalogsCommand(["--stack", "production-17", "--stack", "production-18"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), FILES.map((n) => `${join(OUT, n)} (unchanged)`));
    assert.deepEqual(Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)])), before);
  });

  it("a rebuilt major changes its catalogs only, signed anew; a catalog no stack lists any more is named and left", async () => {
    const bookwormBefore = read("catalog-minimal-bookworm.yaml");
    const bundleBefore = read("catalog-minimal-trixie.yaml.sigstore.json");
    writeFileSync(join(OUT, "catalog-minimal-bullseye.yaml"), "retired\n");
    await stackWith("production-18", perMajor({ trixie: "18.4@202612010600", bookworm: "18.3@202611230610" }));
    const r = catalogsCommand(["--stack", "production-17", "--stack", "production-18"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      `${join(OUT, FILES[0])} (signed: ${FILES[0]}.sigstore.json)`,
      `${join(OUT, FILES[1])} (unchanged)`,
      `${join(OUT, FILES[2])} (unchanged)`,
    ]);
    assert.equal(r.stderr, `note: ${join(OUT, "catalog-minimal-bullseye.yaml")} is not among these catalogs (not in kustomization.yaml); left in place\n`);
    const trixie = parse(read(FILES[0])) as ClusterImageCatalog;
    assert.equal(trixie.metadata.labels["images.cnpg.io/date"], "20261201");
    assert.deepEqual(trixie.spec.images[1], { major: 18, image: image("18.4", "202612010600", "trixie") });
    assert.equal(read(FILES[1]), bookwormBefore);
    assert.notEqual(read(`${FILES[0]}.sigstore.json`), bundleBefore);
    for (const n of FILES) assert.ok(verifies(n), n);
    assert.equal(read("catalog-minimal-bullseye.yaml"), "retired\n");
  });

  it("a signing that fails leaves the changed file without a bundle (never beside a stale one), and the next run signs it", async () => {
    await stackWith("production-18", perMajor({ trixie: "18.4@202612020600", bookworm: "18.3@202611230610" }));
    await stackWith("lost-key", undefined, signing(join(WORK, "no-such.key")));
    const failed = catalogsCommand(["--stack", "production-17", "--stack", "production-18", "--signing-from", "lost-key"]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /^catalog-minimal-trixie\.yaml: cosign sign-blob failed: .+\n$/);
    assert.match(read(FILES[0]), /18\.4-202612020600-minimal-trixie/, "the new text is written");
    assert.equal(existsSync(join(OUT, `${FILES[0]}.sigstore.json`)), false, "its old bundle is gone");
    const again = catalogsCommand(["--stack", "production-17", "--stack", "production-18"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout.trim().split("\n")[0], `${join(OUT, FILES[0])} (signed: ${FILES[0]}.sigstore.json)`);
    for (const n of FILES) assert.ok(verifies(n), n);
  });

  it("stacks that sign differently need --signing-from; with it they sign as that stack", async () => {
    await stackWith("production-16", perMajor({ trixie: "16.13@202611300600", bookworm: "16.13@202611300610" }), signing(join(WORK, "cosign.key"), true));
    const refused = catalogsCommand(["--stack", "production-17", "--stack", "production-16"]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, "stacks production-17 and production-16 sign differently (postgres-images:signing of Pulumi.production-17.yaml and Pulumi.production-16.yaml); give --signing-from STACK to sign as one of them\n");
    const r = catalogsCommand(["--stack", "production-17", "--stack", "production-16", "--stack", "production-18", "--signing-from", "production-17"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((parse(read(FILES[0])) as ClusterImageCatalog).spec.images.map((i) => i.major), [16, 17, 18]);
    for (const n of FILES) assert.ok(verifies(n), n);
  });

  it("one major from two stacks with different images, or a stack with no catalogs, stops it with one line and writes nothing", async () => {
    await stackWith("production-17b", perMajor({ trixie: "17.12@202612010900", bookworm: "17.12@202612010910" }));
    await stackWith("empty", undefined);
    const before = Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)]));
    const twice = catalogsCommand(["--stack", "production-17", "--stack", "production-17b"]);
    assert.equal(twice.status, 1);
    assert.equal(
      twice.stderr,
      `postgresql-minimal-trixie: major 17 is ${image("17.12", "202611300600", "trixie")} in stack production-17 but ${image("17.12", "202612010900", "trixie")} in stack production-17b; give each major's stack once\n`,
    );
    const none = catalogsCommand(["--stack", "production-17", "--stack", "empty"]);
    assert.equal(none.status, 1);
    assert.equal(none.stderr, "stack empty has no catalogs output; run pulumi up first\n");
    const missing = catalogsCommand(["--stack", "production-17", "--stack", "production-15", "--signing-from", "production-17"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^stack production-15: its outputs cannot be read \(.*no stack named 'production-15' found.*\)\n$/);
    writeFileSync(join(DIR, "Pulumi.file-only.yaml"), stringify({ config: { "postgres-images:signing": signing(join(WORK, "cosign.key")) } }));
    const noPassword = catalogsCommand(["--stack", "production-17", "--signing-from", "file-only"]);
    assert.equal(noPassword.status, 1);
    assert.equal(noPassword.stderr, "stack file-only: its postgres-images:cosignPassword cannot be read for signing with a key (error: no stack named 'file-only' found)\n");
    assert.deepEqual(Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)])), before);
  });

  it("a catalog naming an image the registry no longer holds stops it with one line naming stack, catalog and image, and writes nothing", async () => {
    await stackWith("production-16", perMajor({ trixie: "16.13@202612030600", bookworm: "16.13@202612030610" }));
    const gone = image("16.13", "202612030600", "trixie");
    await deleteManifest(`${REPO}@${gone.split("@")[1]}`);
    const before = Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)]));
    const r = catalogsCommand(["--stack", "production-17", "--stack", "production-16"]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `stack production-16: postgresql-minimal-trixie major 16 names ${gone}, which the registry does not hold; run pulumi up --refresh on stack production-16 first\n`);
    assert.equal(r.stdout, "");
    assert.deepEqual(Object.fromEntries(readdirSync(OUT).map((n) => [n, read(n)])), before);
  });

  it("scripts/ci/publish-catalogs.sh commits and pushes the verified set once, and nothing when nothing changed or a bundle fails", () => {
    const remote = join(WORK, "artifacts.git");
    const checkout = join(WORK, "artifacts");
    const git = (args: string[], cwd = checkout) => sh("git", args, { cwd }).stdout.trim();
    sh("git", ["init", "-q", "--bare", "-b", "main", remote]);
    sh("git", ["clone", "-q", remote, checkout]);
    writeFileSync(join(checkout, "README.md"), "artifacts\n");
    git(["add", "README.md"]);
    git(["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]);
    git(["push", "-q", "origin", "main"]);
    const publish = (key: string) =>
      sh("bash", [join(ROOT, "scripts/ci/publish-catalogs.sh"), "--checkout", checkout, "--folder", "image-catalogs", "--signing-from", "production-17", "--stack", "production-17", "--stack", "production-18", "--key", key, "--insecure-ignore-tlog", "--dir", DIR], {
        cwd: WORK,
        allowFail: true,
      });
    sh("cosign", ["generate-key-pair", "--output-key-prefix", "other"], { cwd: WORK, env: { COSIGN_PASSWORD: PASSWORD } });
    const wrongSigner = publish(join(WORK, "other.pub"));
    assert.equal(wrongSigner.status, 1);
    assert.match(wrongSigner.stderr, /catalog-minimal-trixie\.yaml: its bundle does not verify for the signer given; nothing is committed\n$/);
    assert.equal(git(["rev-list", "--count", "main"], remote), "1");

    const first = publish(join(WORK, "cosign.pub"));
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, "changed=true\n");
    assert.equal(git(["log", "-1", "--format=%s", "main"], remote), "chore: update imageCatalogs");
    assert.deepEqual(git(["ls-tree", "--name-only", "main", "image-catalogs/"], remote).split("\n"), [...FILES, ...FILES.map((n) => `${n}.sigstore.json`)].map((n) => `image-catalogs/${n}`).sort());
    const again = publish(join(WORK, "cosign.pub"));
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, "changed=false\n");
    assert.equal(git(["rev-list", "--count", "main"], remote), "2", "no second commit");
  });
});
