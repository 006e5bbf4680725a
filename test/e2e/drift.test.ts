/**
 * The state tells the truth about the registry, on the real engine: faults made in the registry are found
 * by `pulumi refresh` and healed (or refused, naming both digests) by the next `up`; runs of `npm run up`'s
 * driver killed with SIGKILL (itself and the Pulumi CLI, as Ctrl-C twice or a CI runner's cancel would)
 * during a build, during tagging and during signing are finished by the next plain run. Images are built
 * from a stub Dockerfile on the local base (a RUN that only sleeps), so the tier pays for the engine,
 * the registry and cosign, not for PostgreSQL. Counts come from the engine's events.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { engine, STEP_TYPE, TierStack } from "./engine";
import { deleteManifest, removeReferrers, SIGNATURE_PREDICATE } from "./registry";
import { baseRef as localBase, cosign as cosignWith, requireTools, sh, signatureCount, stubContext, type ImageOutput } from "./support";
import { ROOT } from "../helpers";

const WORK = mkdtempSync(join(tmpdir(), "pgi-drift-"));
const REGISTRY = `localhost:5000/drift-${Date.now()}`;
const REPO = `${REGISTRY}/postgresql-testing`;
const TYPES = ["minimal", "standard", "system"];
const names = TYPES.map((t) => `postgresql-17-${t}-trixie`);
const [MINIMAL, STANDARD, SYSTEM] = names;
const PASSWORD = `drift-${process.pid}`;
/** Where scripts/e2e-env.sh's registry keeps its files: a tag alone can only be deleted there. */
const REGISTRY_STORE = join(process.env.E2E_STATE_DIR ?? "/var/lib/postgres-images-e2e", "registry", "docker", "registry", "v2", "repositories");

/** Every timestamped tag this test saw, with the digest it named then: none may ever name another. */
const pinnedSeen = new Map<string, string>();

let stack: TierStack;
let base = "";

const cosign = (args: string[], allowFail = false) => cosignWith(args, { cwd: WORK, password: PASSWORD, allowFail });

/** The digest a reference names in the registry, or "" when it has none. */
function resolve(ref: string): string {
  const r = sh("docker", ["buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest.Digest}}"], { allowFail: true });
  if (r.status === 0) return r.stdout.trim().replace(/"/g, "");
  assert.match(r.stderr, /not found|MANIFEST_UNKNOWN|manifest unknown/i, `inspect ${ref}`);
  return "";
}

function pinnedOf(img: ImageOutput): string {
  const t = img.tags.find((x) => /-\d{12}-/.test(x));
  assert.ok(t !== undefined, `a timestamped tag among ${img.tags.join(", ")}`);
  return t;
}

function verifies(ref: string): boolean {
  return cosign(["verify", "--key", join(WORK, "cosign.pub"), "--insecure-ignore-tlog=true", ref], true).status === 0;
}

/** State, registry and outputs agree: every listed tag names the listed digest, which is signed; no timestamped tag ever moved. */
async function assertAgreement(expected: readonly string[]): Promise<Record<string, ImageOutput>> {
  const images = await stack.images();
  assert.deepEqual(Object.keys(images).sort(), [...expected].sort(), "the cells in the images output");
  for (const [name, img] of Object.entries(images)) {
    assert.equal(img.ref, `${REPO}@${img.digest}`);
    assert.equal(resolve(img.ref), img.digest, `${name}: its digest is in the registry`);
    for (const t of img.tags) assert.equal(resolve(t), img.digest, `${name}: ${t}`);
    assert.ok(verifies(img.ref), `${name}: cosign verify ${img.ref}`);
    const pinned = pinnedOf(img);
    if (!pinnedSeen.has(pinned)) pinnedSeen.set(pinned, img.digest);
  }
  for (const [t, d] of pinnedSeen) {
    const now = resolve(t);
    assert.ok(now === "" || now === d, `${t} named ${d} and now names ${now}: a timestamped tag moved`);
  }
  const state = (await stack.exportState()).deployment as { pending_operations?: unknown[] };
  assert.deepEqual(state.pending_operations ?? [], [], "no pending operations");
  return images;
}

/**
 * Names of the Steps whose state records a drift; for a step made of parts (CELL-publish), `CELL-PART` for
 * each drifted part (the name the part had as a Step of its own).
 */
async function drifted(): Promise<string[]> {
  const d = (await stack.exportState()).deployment as { resources?: { urn: string; type: string; outputs?: { drift?: string | Record<string, string> } }[] };
  return (d.resources ?? [])
    .filter((r) => r.type === STEP_TYPE)
    .flatMap((r) => {
      const name = r.urn.slice(r.urn.lastIndexOf("::") + 2);
      const drift = r.outputs?.drift ?? "";
      if (typeof drift === "string") return drift === "" ? [] : [name];
      return Object.keys(drift).map((part) => `${name.replace(/-publish$/, "")}-${part}`);
    })
    .sort();
}

describe("the state and the registry under faults", { timeout: 30 * 60 * 1000 }, () => {
  before(() => {
    requireTools();
    engine(join(WORK, "state"));
    base = localBase();
    cosign(["generate-key-pair"]);
    // Stages named as the project's; a build lasts STUB_SLEEP seconds, so a run can be killed during it.
    const stub = stubContext();
    stack = new TierStack(
      "drift",
      {
        registry: REGISTRY,
        postgresVersions: ["17.11"],
        previewVersions: [],
        imageTypes: TYPES,
        bases: [base],
        platforms: ["linux/amd64"],
        buildArgs: { STUB_SLEEP: "0" },
        builder: process.env.E2E_BUILDER ?? "postgres-images",
        ...stub,
        signing: { mode: "key", key: join(WORK, "cosign.key"), tlogUpload: false, verify: { publicKey: join(WORK, "cosign.pub") } },
      },
      { cosignPassword: PASSWORD },
      WORK,
    );
  });

  it("refresh finds a deleted image, a deleted and a moved rolling tag, a tampered timestamped tag and a deleted signature; up heals or refuses each", async () => {
    await stack.up();
    const before = await assertAgreement(names);
    const other = resolve(base);

    // minimal: its index deleted through the registry API, as a clean-up job deletes old images.
    await deleteManifest(before[MINIMAL].ref);
    // standard: one rolling tag deleted (only the registry's own store can drop a tag alone), one moved to
    // other content, and its signature deleted.
    rmSync(join(REGISTRY_STORE, `${REGISTRY.slice("localhost:5000/".length)}/postgresql-testing`, "_manifests", "tags", "17-standard-trixie"), { recursive: true });
    sh("docker", ["buildx", "imagetools", "create", "--prefer-index=false", "--tag", `${REPO}:17.11-standard-trixie`, base]);
    // Its signature alone removed from the digest's referrers (cosign 3 keeps signatures and attestations together).
    assert.equal(await removeReferrers(before[STANDARD].ref, SIGNATURE_PREDICATE), 1);
    // system: other content pushed under its timestamped tag.
    const systemPinned = pinnedOf(before[SYSTEM]);
    sh("docker", ["buildx", "imagetools", "create", "--prefer-index=false", "--tag", systemPinned, base]);
    assert.equal(resolve(systemPinned), other);
    // From here on it names the tamperer's content, and the program must never move it back or elsewhere.
    pinnedSeen.set(systemPinned, other);

    const refreshed = await stack.refresh();
    assert.ok((refreshed.summary.update ?? 0) >= 4, `the refresh reports the drifts as changes: ${JSON.stringify(refreshed.summary)}`);
    assert.deepEqual(
      await drifted(),
      // (verify checks nothing of its own: it runs again after a signature made again.)
      [`${MINIMAL}-built-at`, `${MINIMAL}-tags`, `${MINIMAL}-rolling-tags`, `${STANDARD}-sign`, `${STANDARD}-rolling-tags`, `${SYSTEM}-tags`].sort(),
    );

    const healed = await stack.up({ expect: "failure" });
    // The tampered timestamped tag is refused, naming the tag, the digest it should name and the one it names.
    assert.match(healed.stdout, new RegExp(`tag: ${systemPinned.replace(/[.]/g, "\\.")} already names ${other}, and this build is ${before[SYSTEM].digest}`));
    assert.equal(resolve(systemPinned), other, "the tampered timestamped tag was not overwritten");
    // minimal: built again under a new build time (a new timestamped tag), signed; the old tag is not reused.
    assert.equal(healed.changed.get(`${MINIMAL}-built-at`), "update");
    assert.equal(healed.changed.get(MINIMAL), "update", "the image was built again");
    // standard: its tags point at its digest again and it is signed again, once (parts of its publish step).
    assert.equal(healed.changed.get(`${STANDARD}-publish`), "update");
    assert.equal(healed.changed.get(STANDARD), undefined, "standard was not rebuilt");
    assert.equal(await signatureCount(before[STANDARD].ref), 1);
    const after = await assertAgreement([MINIMAL, STANDARD]);
    assert.notEqual(after[MINIMAL].digest, before[MINIMAL].digest);
    assert.notEqual(pinnedOf(after[MINIMAL]), pinnedOf(before[MINIMAL]));
    assert.equal(resolve(pinnedOf(before[MINIMAL])), "", "the lost build's timestamped tag is not reused");
    assert.equal(after[STANDARD].digest, before[STANDARD].digest);
    assert.deepEqual(await drifted(), [`${SYSTEM}-tags`], "only the refused drift is left");

    // A new build time for every cell (the refusal's advice) finishes the job; the tampered tag still never moves.
    await stack.reconfigure({ rebuildEpoch: "drift-1" });
    await stack.up();
    await assertAgreement(names);
    assert.equal(resolve(systemPinned), other);
  });

  it("an image signed by cosign 2 before the change (a .sig tag) still verifies with the cosign 3 the program uses", async () => {
    // Debian's cosign 2 (scripts/e2e-env.sh installs it; the steps use the cosign 3 scripts/supply-chain.sh builds).
    const cosign2 = "/usr/bin/cosign";
    assert.match(sh(cosign2, ["version"]).stdout, /GitVersion:\s+(v?2\.|devel)/);
    const old = `${REPO}:signed-by-cosign-2`;
    sh("docker", ["buildx", "imagetools", "create", "--prefer-index=false", "--tag", old, base]);
    const ref = `${REPO}@${resolve(old)}`;
    sh(cosign2, ["sign", "--yes", "--key", join(WORK, "cosign.key"), "--tlog-upload=false", ref], { env: { COSIGN_PASSWORD: PASSWORD } });
    assert.equal(await signatureCount(ref), 1, "one signature, in cosign 2's .sig tag");
    assert.match(sh("cosign", ["version"]).stdout, /GitVersion:\s+v3\./, "the cosign on PATH is 3");
    assert.ok(verifies(ref), `cosign 3 verifies ${ref}`);
  });

  describe("a killed npm run up is finished by the next plain one", () => {
    /** `docker` and `cosign` wrappers for a run to be killed: the named action announces itself in a file, then waits. */
    function slowTools(action: "tag" | "sign" | "attest"): string {
      const dir = mkdtempSync(join(WORK, `slow-${action}-`));
      const real = (tool: string) => sh("sh", ["-c", `command -v ${tool}`]).stdout.trim();
      const marker = join(dir, "started");
      const wrap = (tool: string, when: string) =>
        writeFileSync(join(dir, tool), `#!/bin/sh\ncase "$*" in ${when}) touch "${marker}"; sleep 30 ;; esac\nexec "${real(tool)}" "$@"\n`);
      wrap("docker", action === "tag" ? '"buildx imagetools create"*' : "__never__");
      wrap("cosign", action === "sign" ? '"sign "*' : action === "attest" ? '"attest "*' : "__never__");
      for (const t of ["docker", "cosign"]) chmodSync(join(dir, t), 0o755);
      return dir;
    }

    /** The driver `npm run up` execs, on this stack's folder and backend. */
    function driver(pathPrefix?: string): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
      let output = "";
      const env: NodeJS.ProcessEnv = { ...process.env, ...(pathPrefix === undefined ? {} : { PATH: `${pathPrefix}:${process.env.PATH ?? ""}` }) };
      delete env.POSTGRES_IMAGES_RUN;
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "engine/up.ts"), "--stack", "drift", "--work-dir", stack.dir], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const done = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
      return { child, output: () => output, done };
    }

    async function waitFor(what: string, ok: () => boolean, seconds = 300): Promise<void> {
      const deadline = Date.now() + seconds * 1000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    /** SIGKILL of the driver and of the Pulumi CLI it started; the providers are left as they are. */
    function killRun(child: ChildProcess): void {
      const pulumi = readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "pulumi" && readFileSync(`/proc/${p}/stat`, "utf8").split(" ")[3] === String(child.pid);
          } catch {
            return false;
          }
        });
      assert.equal(pulumi.length, 1, "the driver's pulumi CLI");
      process.kill(child.pid!, "SIGKILL");
      process.kill(Number(pulumi[0]), "SIGKILL");
    }

    async function killedThenFinished(kill: { when: string; tools?: string; until: (output: string) => boolean }, epoch: string): Promise<string> {
      await stack.reconfigure({ rebuildEpoch: epoch, buildArgs: { STUB_SLEEP: kill.when === "build" ? "20" : "1" } });
      const run = driver(kill.tools);
      await waitFor(`the run to be ${kill.when === "build" ? "building" : kill.when === "tag" ? "tagging" : kill.when === "attest" ? "attesting" : "signing"}`, () => kill.until(run.output()));
      killRun(run.child);
      await run.done;
      const next = driver();
      const code = await next.done;
      assert.equal(code, 0, `the next plain run exits 0:\n${next.output().slice(-4000)}`);
      assert.match(next.output(), /up: cleared the lock of a run that no longer runs: \S+@\S+ \(pid \d+\) since /);
      assert.equal(existsSync(join(WORK, "state", ".pulumi", "locks", "organization", "postgres-images", "drift")) ? readdirSync(join(WORK, "state", ".pulumi", "locks", "organization", "postgres-images", "drift")).filter((f) => f.endsWith(".json")).length : 0, 0);
      await assertAgreement(names);
      return next.output();
    }

    it("killed during a build", async () => {
      // The build of a cell has started (the engine says so) and has been running for 4 s of its 20.
      let started = 0;
      const building = (o: string): boolean => {
        if (started === 0 && /docker-build:index:Image postgresql-17-\S+ updating/.test(o)) started = Date.now();
        return started > 0 && Date.now() - started > 4000;
      };
      const out = await killedThenFinished({ when: "build", until: building }, "kill-build");
      assert.match(out, /up: the last run was killed with \d+ operation\(s\) in flight/);
    });

    it("killed during tagging", async () => {
      const tools = slowTools("tag");
      await killedThenFinished({ when: "tag", tools, until: () => existsSync(join(tools, "started")) }, "kill-tag");
    });

    it("a lock held by a running process is kept and its holder named; a state file cut short is named with its backup", async () => {
      const lockDir = join(WORK, "state", ".pulumi", "locks", "organization", "postgres-images", "drift");
      const bin = mkdtempSync(join(WORK, "live-pulumi-"));
      copyFileSync("/bin/sleep", join(bin, "pulumi"));
      const live = spawn(join(bin, "pulumi"), ["60"], { stdio: "ignore" });
      const lock = join(lockDir, "held-by-test.json");
      mkdirSync(lockDir, { recursive: true });
      writeFileSync(lock, JSON.stringify({ pid: live.pid, username: "someone", hostname: hostname(), timestamp: "2026-12-07T10:00:00Z" }));
      try {
        const run = driver();
        assert.equal(await run.done, 1);
        assert.match(run.output(), new RegExp(`^up: the stack is locked by a run that may still be going: someone@${hostname()} \\(pid ${live.pid}\\) since 2026-12-07T10:00:00Z`, "m"));
        // The summary's last line carries the engine's own refusal with the holder, not only its first line.
        assert.match(run.output(), new RegExp(`^up: the stack is currently locked by 1 lock\\(s\\)[^\\n]*\\n  \\S+held-by-test\\.json\\S*: created by someone@${hostname()} \\(pid ${live.pid}\\)`, "m"));
        assert.ok(existsSync(lock), "a live lock is never cleared");
      } finally {
        live.kill();
        rmSync(lock, { force: true });
      }

      const file = join(WORK, "state", ".pulumi", "stacks", "postgres-images", "drift.json");
      const good = readFileSync(file, "utf8");
      writeFileSync(file, good.slice(0, 200));
      try {
        const run = driver();
        assert.equal(await run.done, 1);
        const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        assert.match(run.output(), new RegExp(`^up: the stack's state file ${esc(file)} is not a Pulumi checkpoint \\(.+\\); the engine kept the state before the last save as ${esc(file)}\\.bak: restore it with`, "m"));
        assert.doesNotMatch(run.output(), /^\s+at /m, "no stack trace");
      } finally {
        writeFileSync(file, good);
      }
    });

    it("killed during signing", async () => {
      const tools = slowTools("sign");
      const out = await killedThenFinished({ when: "sign", tools, until: () => existsSync(join(tools, "started")) }, "kill-sign");
      // The providers the killed run started (and the cosign they ran) were stopped by the next run.
      assert.match(out, /up: stopped what the killed run \(pid \d+, started [^)]+\) left running: /);
    });

    it("killed during attesting, after the signature: the next run finds the signature and does not sign again", async () => {
      const tools = slowTools("attest");
      await killedThenFinished({ when: "attest", tools, until: () => existsSync(join(tools, "started")) }, "kill-attest");
      // The killed run's publish step had signed, then was dropped as an unfinished create: the next run's
      // checked the registry before signing.
      for (const [name, img] of Object.entries(await stack.images())) assert.equal(await signatureCount(img.ref), 1, `${name}: one signature`);
    });
  });
});
