/**
 * One `pulumi preview` of a bench matrix in a process of its own (no other bench's heap beside it):
 * `node --import tsx bench/preview-once.ts CELLS` with CELLS 36, 324 or 990.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { openStack, previewWithoutCheckpoints, scratchProject, useEngine } from "../engine/workspace";
import { DEFAULT_MATRIX, largeMatrix } from "./matrices";

const ROOT = join(__dirname, "..");

async function main(): Promise<void> {
  const cells = Number(process.argv[2] ?? 36);
  const m = [DEFAULT_MATRIX, largeMatrix(18, 6), largeMatrix()].find((x) => x.cells === cells);
  if (m === undefined) throw new Error(`no bench matrix of ${cells} cells (36, 324, 990)`);
  process.env.PULUMI_BACKEND_URL = `file://${mkdtempSync(join(tmpdir(), "pgi-preview-state-"))}`;
  process.env.PULUMI_CONFIG_PASSPHRASE = "bench";
  useEngine(ROOT);
  const dir = scratchProject(mkdtempSync(join(tmpdir(), "pgi-preview-")), ROOT);
  const values = { context: ROOT, dockerfile: join(ROOT, "Dockerfile"), builder: "postgres-images", ...m.config };
  writeFileSync(join(dir, "Pulumi.p.yaml"), stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v])) }));
  const stack = await openStack({ stack: "p", workDir: dir, projectDir: ROOT });
  const t0 = process.hrtime.bigint();
  await previewWithoutCheckpoints(stack);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`pulumi preview, ${cells} cells, a process of its own: ${s.toFixed(1)} s, ${((s / cells) * 1000).toFixed(0)} ms per cell\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
