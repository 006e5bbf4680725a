/**
 * A `pulumi preview` of a bench matrix as a user runs one: `npm run up -- --preview` (node dist/engine/up.js with
 * scripts/up.sh's flags, compiled JavaScript in a process of its own, no intermediate checkpoints), of a stack that exists (created,
 * untimed, on a new file backend just before: a user previews their stack, they do not create it each time;
 * creating it cost about 0.5 s more here, `first: true` times that too).
 * `node --import tsx bench/preview-once.ts CELLS [first]` with CELLS 36, 324 or 990 prints the time;
 * benchEngine times the same through `previewSeconds`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { engineEnvironment, PROGRAM_NODE_ARGS, scratchProject } from "../engine/workspace";
import { DEFAULT_MATRIX, largeMatrix, type BenchMatrix } from "./matrices";

const ROOT = join(__dirname, "..");

/** The stack folder of a matrix, stack `p`, built on the local builder's defaults. */
export function previewStack(m: BenchMatrix): string {
  const dir = scratchProject(mkdtempSync(join(tmpdir(), `pgi-preview-${m.cells}-`)), ROOT);
  const values = { context: ROOT, dockerfile: join(ROOT, "Dockerfile"), builder: "postgres-images", ...m.config };
  writeFileSync(join(dir, "Pulumi.p.yaml"), stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v])) }));
  return dir;
}

/**
 * Seconds one `up.js --preview` of the stack in `dir` takes, on a new file backend where the stack is created
 * first, untimed (with `first`, the creation is timed too); fails when it fails.
 */
export function previewSeconds(dir: string, first = false): number {
  const env = { ...process.env, ...engineEnvironment(ROOT), PULUMI_BACKEND_URL: `file://${mkdtempSync(join(tmpdir(), "pgi-preview-state-"))}`, PULUMI_CONFIG_PASSPHRASE: "bench" };
  if (!first) {
    const init = spawnSync("pulumi", ["stack", "init", "p", "--non-interactive"], { cwd: dir, encoding: "utf8", env });
    if (init.status !== 0) throw new Error(`pulumi stack init: ${init.stderr.trim()}`);
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...PROGRAM_NODE_ARGS, join(ROOT, "dist/engine/up.js"), "--preview", "--stack", "p", "--work-dir", dir], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], env });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`npm run up -- --preview failed: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return s;
}

if (require.main === module) {
  const cells = Number(process.argv[2] ?? 36);
  const m = [DEFAULT_MATRIX, largeMatrix(18, 6), largeMatrix()].find((x) => x.cells === cells);
  if (m === undefined) {
    process.stderr.write(`no bench matrix of ${cells} cells (36, 324, 990)\n`);
    process.exit(2);
  }
  const first = process.argv[3] === "first";
  const s = previewSeconds(previewStack(m), first);
  process.stdout.write(`npm run up -- --preview${first ? " (creating the stack)" : ""}, ${cells} cells: ${s.toFixed(1)} s, ${((s / cells) * 1000).toFixed(0)} ms per cell\n`);
}
