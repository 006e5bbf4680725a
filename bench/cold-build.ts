/**
 * The cost that matters most to users: a cold build of the tier's matrix (PostgreSQL 17 from the local base's
 * own Debian archive, the three types, amd64, unsigned) by `pulumi up` against `docker buildx bake --push` of
 * the same targets (`targets --json` writes the bake file), on the same builder, with BuildKit's cache pruned
 * before each; in turns, so both see the same machine. Each `up` is a new stack and repository: a cold run.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { openStack, scratchProject } from "../engine/workspace";
import { fmt, summary } from "./timing";

const ROOT = join(__dirname, "..");
const BUILDER = "postgres-images";
/**
 * The machine's trust store, given to the builds as their extra CA certificates: the system stage installs
 * Barman from PyPI, through the inspecting proxy these machines reach it by (harmless elsewhere).
 */
export const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return r.stdout;
}

function prune(): void {
  run("docker", ["buildx", "prune", "--builder", BUILDER, "--all", "--force"], "docker buildx prune");
}

function stack(name: string, base: string, version: string): string {
  const dir = scratchProject(mkdtempSync(join(tmpdir(), `pgi-bench-${name}-`)), ROOT);
  const config = {
    registry: `localhost:5000/bench-cold-${Date.now()}`,
    postgresVersions: [version],
    previewVersions: [],
    bases: [base],
    platforms: ["linux/amd64"],
    buildArgs: { PG_PACKAGES: "debian" },
    caCertificates: HOST_CA,
    signing: { mode: "none" },
    builder: BUILDER,
    context: ROOT,
    dockerfile: join(ROOT, "Dockerfile"),
  };
  writeFileSync(join(dir, `Pulumi.${name}.yaml`), stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`postgres-images:${k}`, v])) }));
  return dir;
}

/** BENCH_COLD_RUNS turns of each (default 2). */
export async function benchColdBuild(base: string, say: (line: string) => void): Promise<void> {
  const turns = Number(process.env.BENCH_COLD_RUNS ?? 2);
  const version = run("bash", [join(ROOT, "scripts/archive-pg-version.sh"), base, "17"], "archive-pg-version.sh").trim();
  const bakeTimes: number[] = [];
  const upTimes: number[] = [];
  // Stack names of their own: a name used by an earlier bench run would select that run's stack, whose images
  // exist, and time a no-change up (it did: "pulumi up 11.7 s" against bake's 104 s).
  const run0 = Date.now().toString(36);
  for (let turn = 0; turn < turns; turn++) {
    // bake: the same matrix as a bake file, pushed by tag.
    const name = `cold${turn}-${run0}`;
    const bakeDir = stack(name, base, version);
    const file = join(bakeDir, "bake.json");
    const fd = openSync(file, "w");
    const t = spawnSync(process.execPath, [join(ROOT, "dist/cli/targets.js"), "--dir", bakeDir, "--stack", name, "--json"], { stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
    closeSync(fd);
    if (t.status !== 0) throw new Error(`targets --json failed: ${t.stderr}`);
    // Without BuildKit's provenance and SBOM attestations, which the program does not make either (it attests
    // with cosign, measured apart); BuildKit's SBOM generator is an image on Docker Hub.
    const bake = JSON.parse(readFileSync(file, "utf8")) as { target: Record<string, { attest?: unknown }> };
    for (const target of Object.values(bake.target)) delete target.attest;
    writeFileSync(file, JSON.stringify(bake));
    prune();
    let t0 = process.hrtime.bigint();
    // The CA file is the bake target's build secret (`secret: id=ca-certificates,src=…`): bake must be allowed to read it.
    run("docker", ["buildx", "bake", "--builder", BUILDER, "-f", file, "--allow", `fs.read=${dirname(HOST_CA)}`, "--push"], "docker buildx bake --push");
    bakeTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);

    const upName = `coldup${turn}-${run0}`;
    const s = await openStack({ stack: upName, workDir: stack(upName, base, version), projectDir: ROOT });
    prune();
    t0 = process.hrtime.bigint();
    const r = await s.up({ continueOnError: true });
    upTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.summary.result !== "succeeded") throw new Error(`pulumi up of ${upName}: ${r.summary.result}`);
    // A cold run creates every resource; fewer means it found a stack already built, and timed nothing.
    const created = r.summary.resourceChanges?.create ?? 0;
    if (created < Object.keys(bake.target).length * 2) throw new Error(`pulumi up of ${upName} created ${created} resources for ${Object.keys(bake.target).length} targets: not a cold run`);
    say(`  turn ${turn + 1}: bake --push ${bakeTimes[turn].toFixed(1)} s, pulumi up ${upTimes[turn].toFixed(1)} s`);
  }
  const bake = summary(bakeTimes);
  const up = summary(upTimes);
  const ratio = up.median / bake.median;
  say(`cold build of the tier's matrix (PostgreSQL ${version} from Debian, 3 types, amd64, cache pruned): docker buildx bake --push ${fmt(bake)}; pulumi up ${fmt(up)}; up/bake = ${ratio.toFixed(2)} (goal: at most 1.1: ${ratio <= 1.1 ? "met" : "NOT met"})`);
}
