/**
 * Program evaluation under Pulumi mocks (the harness of test/program), against the SDK's own cost
 * for the same resources with empty inputs (clarifications: program work at most 1.5× that).
 */
import { evaluate, evaluateBaseline } from "../test/program/harness";
import { DEFAULT_MATRIX, largeMatrix, type BenchMatrix } from "./matrices";

const RUNS = Number(process.env.BENCH_PROGRAM_RUNS ?? 2);

async function once(m: BenchMatrix): Promise<{ ms: number; baselineMs: number; resources: number; inputsMs: number }> {
  const e = await evaluate(m.config, { secrets: { cosignPassword: "bench" } });
  if (!e.ok) throw new Error(`program failed on ${m.name}: ${e.error?.message}`);
  const base = await evaluateBaseline(e);
  return { ms: e.timings.totalMs, baselineMs: base.totalMs, resources: e.resources.length, inputsMs: e.timings.inputsMs };
}

/** `bakeSeconds`: bake --print's median by cell count, where measured (the goal: no slower than bake). */
export async function benchProgram(bakeSeconds: ReadonlyMap<number, number>): Promise<string[]> {
  const lines: string[] = [];
  for (const m of [DEFAULT_MATRIX, largeMatrix()]) {
    await once(m); // warm-up: module loading and JIT
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(m));
    runs.sort((a, b) => a.ms - b.ms);
    const r = runs[Math.floor(runs.length / 2)];
    const ratio = r.ms / r.baselineMs;
    lines.push(
      `program under mocks, ${m.cells} cells (${r.resources} resources): ${(r.ms / 1000).toFixed(2)} s ` +
        `(config+validation+context hash ${r.inputsMs.toFixed(0)} ms); SDK alone with empty inputs ${(r.baselineMs / 1000).toFixed(2)} s; ` +
        `ratio ${ratio.toFixed(2)} (goal ≤ 1.5: ${ratio <= 1.5 ? "met" : "NOT met"})`,
    );
    const bake = bakeSeconds.get(m.cells);
    if (bake !== undefined) {
      const vsBake = r.ms / 1000 / bake;
      lines.push(`  against bake --print at ${m.cells} cells: ${vsBake.toFixed(1)}x its time (goal: no slower: ${vsBake <= 1 ? "met" : "NOT met"})`);
    }
  }
  return lines;
}
