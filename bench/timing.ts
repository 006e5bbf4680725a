import { spawnSync } from "node:child_process";

export interface Timing {
  median: number;
  min: number;
  runs: number;
}

/** Runs a command `runs` times after one warm-up; wall-clock seconds. Fails loudly if the command fails. */
export function timeCommand(cmd: string, args: string[], runs: number, options: { stdoutFile?: number } = {}): Timing {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ["ignore", options.stdoutFile ?? "ignore", "pipe"], encoding: "utf8" });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return t;
  };
  once();
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], runs };
}

/** Times an async function `runs` times after one warm-up; seconds. */
export async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<Timing> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], runs };
}

/** The median and minimum of measured seconds. */
export function summary(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], runs: sorted.length };
}

export function fmt(t: Timing): string {
  return `${t.median.toFixed(3)} s (min ${t.min.toFixed(3)}, ${t.runs} runs)`;
}
