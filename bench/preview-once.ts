/**
 * A `pulumi preview` of a bench matrix as a user runs one: `npm run up -- --preview` (node dist/engine/up.js,
 * compiled JavaScript in a process of its own, no intermediate checkpoints), on a new file backend.
 * `node --import tsx bench/preview-once.ts CELLS` with CELLS 36, 324 or 990 prints the time; benchEngine
 * times the same through `previewSeconds`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { scratchProject } from "../engine/workspace";
import { DEFAULT_MATRIX, largeMatrix, type BenchMatrix } from "./matrices";

const ROOT = join(__dirname, "..");

/** The stack folder of a matrix, stack `p`, built on the local builder's defaults. */
export function previewStack(m: BenchMatrix): string {
  const dir = scratchProject(mkdtempSync(join(tmpdir(), `pgi-preview-${m.cells}-`)), ROOT);
  const values = { context: ROOT, dockerfile: join(ROOT, "Dockerfile"), builder: "postgres-images", ...m.config };
  writeFileSync(join(dir, "Pulumi.p.yaml"), stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v])) }));
  return dir;
}

/** Seconds one `up.js --preview` of the stack in `dir` takes, on a new file backend; fails when it fails. */
export function previewSeconds(dir: string): number {
  const backend = `file://${mkdtempSync(join(tmpdir(), "pgi-preview-state-"))}`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(ROOT, "dist/engine/up.js"), "--preview", "--stack", "p", "--work-dir", dir], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "bench" },
  });
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
  const s = previewSeconds(previewStack(m));
  process.stdout.write(`npm run up -- --preview, ${cells} cells: ${s.toFixed(1)} s, ${((s / cells) * 1000).toFixed(0)} ms per cell\n`);
}
