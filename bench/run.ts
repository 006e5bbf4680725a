/**
 * `npm run bench`: `targets --json` against `docker buildx bake --print` of the same matrix,
 * program evaluation under Pulumi mocks, and the real engine (bench/engine.ts). Prints numbers and the issue's goals; a benchmark,
 * not a test: it never fails on a slow machine, only when a command fails.
 */
import { spawnSync } from "node:child_process";
import { openSync, closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_MATRIX, largeMatrix, projectDir, type BenchMatrix } from "./matrices";
import { fmt, timeCommand, type Timing } from "./timing";
import { benchProgram } from "./program";
import { benchEngine } from "./engine";

const ROOT = join(__dirname, "..");
const TARGETS_JS = join(ROOT, "dist", "cli", "targets.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** The default matrix (36 cells), 324 cells (18 majors x 3 types x 6 bases) and 990 (30 x 3 x 11). */
const MATRICES = [DEFAULT_MATRIX, largeMatrix(18, 6), largeMatrix()];

function bakeAvailable(): boolean {
  const r = spawnSync("docker", ["buildx", "version"], { encoding: "utf8" });
  return r.status === 0;
}

function benchTargets(m: BenchMatrix, withBake: boolean): { ours: Timing; bake?: Timing } {
  const dir = projectDir(ROOT, m);
  const args = [TARGETS_JS, "--dir", dir, "--stack", "bench", "--json", "--timestamp", "2026-11-02T08:30:00Z"];
  const ours = timeCommand(process.execPath, args, RUNS);
  if (!withBake) return { ours };
  // The same matrix as a bake file: ours, so both tools read identical targets.
  const file = join(dir, "bake.json");
  const fd = openSync(file, "w");
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", fd, "inherit"] });
  closeSync(fd);
  if (r.status !== 0) throw new Error("targets failed");
  const bake = timeCommand("docker", ["buildx", "bake", "-f", file, "--print"], RUNS);
  return { ours, bake };
}

async function main(): Promise<void> {
  const withBake = bakeAvailable();
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    process.stdout.write(`${s}\n`);
  };
  say(`node ${process.version}, ${RUNS} runs each${withBake ? "" : "; docker buildx not found: bake not measured"}`);
  const bakeSeconds = new Map<number, number>();
  // Goals from the issues: targets against bake --print at the default and the ~1,000-cell matrix.
  const goals = new Map<number, { text: string; factor: number }>([
    [DEFAULT_MATRIX.cells, { text: "at most 2.5x bake's time", factor: 2.5 }],
    [largeMatrix().cells, { text: "at least 4x faster than bake", factor: 0.25 }],
  ]);
  for (const m of MATRICES) {
    const { ours, bake } = benchTargets(m, withBake);
    say(`targets --json, ${m.cells} cells: ${fmt(ours)}`);
    if (bake) {
      bakeSeconds.set(m.cells, bake.median);
      const ratio = ours.median / bake.median;
      const goal = goals.get(m.cells);
      say(`bake --print,   ${m.cells} cells: ${fmt(bake)}; ours/bake = ${ratio.toFixed(2)}${goal === undefined ? "" : ` (goal: ${goal.text}: ${ratio <= goal.factor ? "met" : "NOT met"})`}`);
    }
  }
  // BENCH_PROGRAM=0 skips the program under mocks (minutes at 990 cells), for a run that measures the engine.
  if (process.env.BENCH_PROGRAM !== "0") for (const line of await benchProgram(bakeSeconds)) say(line);
  await benchEngine(MATRICES, bakeSeconds, say);
  writeFileSync(join(ROOT, "bench", "last-run.txt"), `${lines.join("\n")}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
