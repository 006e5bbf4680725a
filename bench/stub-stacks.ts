/**
 * `pulumi up` at scale on the real engine, with the stub Dockerfile (test/fixtures/stub: the project's
 * stage names, nothing installed, so builds take a moment and what is measured is the engine, the
 * registry and the steps): cold and no-change `up`, each with and without intermediate checkpoints, the refresh every `npm run up` starts with, and a
 * preview with and without intermediate checkpoints; state bytes per cell. Unsigned, amd64, images pushed
 * to the local registry. The 36-cell stack is the default matrix's shape (6 versions × 3 types × 2
 * bases); BENCH_STUB_CELLS lists the sizes (default "36,108"; "none" for none).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as auto from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { openStack, previewWithoutCheckpoints, scratchProject } from "../engine/workspace";
import { describeStateSize, stateFileOf, stateSize } from "./state-size";
import { fmt, timeAsync, type Timing } from "./timing";

const ROOT = join(__dirname, "..");
const STUB = join(ROOT, "test", "fixtures", "stub");

async function once(fn: () => Promise<unknown>): Promise<Timing> {
  const t0 = process.hrtime.bigint();
  await fn();
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  return { median: t, min: t, runs: 1 };
}

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

/** Stack values for `cells` cells (a multiple of 6): cells/6 majors × 3 types × 2 bases, both bases the local one under two names. */
function stubConfig(cells: number, base: string, keys?: string, platforms: readonly string[] = ["linux/amd64"]): Record<string, unknown> {
  const at = base.indexOf("@");
  const digest = base.slice(at);
  const repo = base.slice(0, base.lastIndexOf(":", at));
  const majors = cells / 6;
  return {
    registry: `localhost:5000/bench-stub-${cells}-${Date.now()}`,
    postgresVersions: Array.from({ length: majors }, (_, i) => `${10 + i}.${i + 1}`),
    previewVersions: [],
    bases: [`${repo}:trixie-slim${digest}`, `${repo}:bookworm-slim${digest}`],
    platforms: [...platforms],
    signing: keys === undefined ? { mode: "none" } : { mode: "key", key: join(keys, "cosign.key"), tlogUpload: false, verify: { publicKey: join(keys, "cosign.pub") } },
    builder: "postgres-images",
    context: STUB,
    dockerfile: join(STUB, "Dockerfile"),
  };
}

/**
 * `keys`: a folder with a cosign key pair (password in COSIGN_PASSWORD): a signed stack of the default matrix's
 * size and platforms (amd64 and arm64) is measured too (BENCH_STUB_SIGNED, default "36"; "none" for none), for
 * issue 18's goals of a no-change `up` of a signed default matrix and of 20 KB per signed two-platform cell.
 */
export async function benchStubStacks(base: string, say: (line: string) => void, keys?: string): Promise<void> {
  // "none" skips them (a run that measures something else).
  const list = process.env.BENCH_STUB_CELLS ?? "36,108";
  const sizes = list === "none" ? [] : list.split(",").map(Number);
  const runs = Number(process.env.BENCH_ENGINE_RUNS ?? 3);
  const open = async (name: string, cells: number, signedWith?: string, platforms?: readonly string[]): Promise<auto.Stack> => {
    const dir = scratchProject(mkdtempSync(join(tmpdir(), `pgi-bench-${name}-`)), ROOT);
    writeFileSync(join(dir, `Pulumi.${name}.yaml`), stringify({ config: Object.fromEntries(Object.entries(stubConfig(cells, base, signedWith, platforms)).map(([k, v]) => [`postgres-images:${k}`, v])) }));
    const stack = await openStack({ stack: name, workDir: dir, projectDir: ROOT });
    if (signedWith !== undefined) await stack.setConfig("postgres-images:cosignPassword", { value: process.env.COSIGN_PASSWORD ?? "", secret: true });
    return stack;
  };
  const signedList = process.env.BENCH_STUB_SIGNED ?? "36";
  for (const cells of keys === undefined || signedList === "none" ? [] : signedList.split(",").map(Number)) {
    const name = `stub-signed-${cells}`;
    const stack = await open(name, cells, keys, ["linux/amd64", "linux/arm64"]);
    const cold = await once(() => stack.up({ continueOnError: true }));
    const idle = await timeAsync(() => stack.up({ continueOnError: true }), runs);
    const refresh = await timeAsync(() => stack.refresh(), runs);
    say(`stub stack, ${cells} cells, signed (key, amd64 and arm64): cold pulumi up ${fmt(cold)}; nothing to do ${fmt(idle)}${cells === 36 ? ` (goal for a signed default matrix: under 10 s: ${idle.median < 10 ? "met" : "NOT met"})` : ""}; refresh ${fmt(refresh)}`);
    const size = stateSize(stateFileOf(process.env.PULUMI_BACKEND_URL!, name));
    say(`  ${describeStateSize(size, cells)} (goal: under 20 KB per signed two-platform cell: ${size.bytes / cells / 1024 < 20 ? "met" : "NOT met"})`);
  }
  for (const cells of sizes) {
    const name = `stub-${cells}`;
    const stack = await open(name, cells);
    const cold = await once(() => stack.up({ continueOnError: true }));
    // The same cold run on a second stack (its own repository), without intermediate checkpoints.
    const other = await open(`${name}-nocheckpoints`, cells);
    const coldSkip = await withEnv("PULUMI_SKIP_CHECKPOINTS", "true", () => once(() => other.up({ continueOnError: true })));
    const idle = await timeAsync(() => stack.up({ continueOnError: true }), runs);
    const idleSkip = await withEnv("PULUMI_SKIP_CHECKPOINTS", "true", () => timeAsync(() => stack.up({ continueOnError: true }), runs));
    const refresh = await timeAsync(() => stack.refresh(), runs);
    const preview = await timeAsync(() => previewWithoutCheckpoints(stack), runs);
    const previewCheckpointed = await timeAsync(() => stack.preview(), runs);
    const size = stateSize(stateFileOf(process.env.PULUMI_BACKEND_URL!, name));
    say(`stub stack, ${cells} cells (unsigned, amd64): cold pulumi up ${fmt(cold)}; with PULUMI_SKIP_CHECKPOINTS ${fmt(coldSkip)}`);
    say(`  pulumi up, nothing to do: ${fmt(idle)}${cells === 108 ? ` (goal: under 8 s: ${idle.median < 8 ? "met" : "NOT met"})` : ""}; with PULUMI_SKIP_CHECKPOINTS ${fmt(idleSkip)}`);
    say(`  pulumi refresh (reads the registry): ${fmt(refresh)}; pulumi preview ${fmt(preview)} (with checkpoints ${fmt(previewCheckpointed)})`);
    say(`  ${describeStateSize(size, cells)}`);
  }
}
