/**
 * The real engine's figures: start-up with an empty program, `pulumi preview` of the default and of the
 * ~1,000-cell matrix (against `docker buildx bake --print` of the same, measured in run.ts), and a
 * `pulumi up` with nothing to do on a stack shaped like the test tier's (3 cells × 2 platforms, signed).
 * Needs what the tier needs (scripts/e2e-env.sh up, scripts/builder.sh up); without them the engine part
 * is skipped with the reason.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as auto from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { openStack, previewWithoutCheckpoints, scratchProject, useEngine } from "../engine/workspace";
import type { BenchMatrix } from "./matrices";
import type { ImageOutput } from "../lib/outputs";
import { benchColdBuild, HOST_CA } from "./cold-build";
import { previewSeconds, previewStack } from "./preview-once";
import { perCell as secondsPerCell, resourceTimer, scanSeconds } from "./supply-chain";
import { describeStateSize, stateFileOf, stateSize } from "./state-size";
import { benchStubStacks } from "./stub-stacks";
import { fmt, summary, timeAsync } from "./timing";

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 3);
const BUILDER = "postgres-images";
/** Issue 18's goals for a preview, seconds, by cell count. */
const PREVIEW_GOALS: ReadonlyMap<number, number> = new Map([
  [36, 4],
  [324, 20],
  [990, 90],
]);

function stackDir(name: string, config: Record<string, unknown>): string {
  const dir = scratchProject(mkdtempSync(join(tmpdir(), `pgi-bench-engine-${name}-`)), ROOT);
  const values = { context: ROOT, dockerfile: join(ROOT, "Dockerfile"), builder: BUILDER, ...config };
  writeFileSync(join(dir, `Pulumi.${name}.yaml`), stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`postgres-images:${k}`, v])) }));
  return dir;
}

async function emptyProgram(dir: string): Promise<auto.Stack> {
  const ws = await auto.LocalWorkspace.create({ workDir: dir, program: () => Promise.resolve({}) });
  return auto.Stack.createOrSelect("empty", ws);
}

function ready(): string | undefined {
  if (spawnSync("docker", ["buildx", "inspect", BUILDER], { stdio: "ignore" }).status !== 0) return `no buildx builder ${BUILDER} (scripts/builder.sh up)`;
  const base = spawnSync("bash", [join(ROOT, "scripts/e2e-env.sh"), "base-ref"], { encoding: "utf8" });
  if (base.status !== 0) return "no local base (scripts/e2e-env.sh up)";
  return undefined;
}

/**
 * `say` gets each line as it is measured. Every matrix is previewed on the real engine without intermediate
 * checkpoints (as every preview the project starts), as `npm run up -- --preview` of a stack that exists (engine
 * start-up and the empty refresh included; bench/preview-once.ts); the large ones once each (BENCH_ENGINE_LARGE=0
 * skips them: minutes on 2 cores). The default matrix is also previewed creating its stack, as before 2026-12-08.
 */
export async function benchEngine(matrices: readonly BenchMatrix[], bakeSeconds: ReadonlyMap<number, number>, say: (line: string) => void): Promise<void> {
  const lines = { push: say };
  const missing = ready();
  if (missing !== undefined) return say(`engine: not measured: ${missing}`);
  process.env.PULUMI_BACKEND_URL = `file://${mkdtempSync(join(tmpdir(), "pgi-bench-state-"))}`;
  process.env.PULUMI_CONFIG_PASSPHRASE = "bench";
  useEngine(ROOT);

  const empty = await emptyProgram(scratchProject(mkdtempSync(join(tmpdir(), "pgi-bench-empty-")), ROOT));
  lines.push(`engine start-up, empty program (pulumi preview): ${fmt(await timeAsync(() => previewWithoutCheckpoints(empty), RUNS))}`);

  const perCell = new Map<number, number>();
  for (const m of matrices) {
    const large = m.cells > 60;
    if (large && process.env.BENCH_ENGINE_LARGE === "0") {
      say(`pulumi preview, ${m.cells} cells: not measured (BENCH_ENGINE_LARGE=0)`);
      continue;
    }
    // As a user runs it (npm run up -- --preview): compiled, in a process of its own, not in this one's heap.
    const dir = previewStack(m);
    const t = summary(Array.from({ length: large ? 1 : RUNS }, () => previewSeconds(dir)));
    perCell.set(m.cells, t.median / m.cells);
    const bake = bakeSeconds.get(m.cells);
    const goal = PREVIEW_GOALS.get(m.cells);
    lines.push(
      `pulumi preview, ${m.cells} cells: ${fmt(t)}, ${((t.median / m.cells) * 1000).toFixed(1)} ms per cell${bake === undefined ? "" : `; bake --print ${bake.toFixed(3)} s`}${goal === undefined ? "" : ` (goal: under ${goal} s: ${t.median < goal ? "met" : "NOT met"})`}`,
    );
  }
  // The figure before 2026-12-08 included creating the stack (a new backend per preview): kept for comparison.
  const firstOf = matrices.find((m) => m.cells <= 60);
  if (firstOf !== undefined) lines.push(`pulumi preview, ${firstOf.cells} cells, creating the stack too: ${fmt(summary(Array.from({ length: RUNS }, () => previewSeconds(previewStack(firstOf), true))))}`);
  const sizes = [...perCell.keys()].sort((a, b) => a - b);
  if (sizes.length > 1) {
    const growth = perCell.get(sizes[sizes.length - 1])! / perCell.get(sizes[0])!;
    say(`pulumi preview, time per cell at ${sizes[sizes.length - 1]} cells / at ${sizes[0]}: ${growth.toFixed(2)}x (goal: within 1.5x: ${growth <= 1.5 ? "met" : "NOT met"})`);
  }

  const base = spawnSync("bash", [join(ROOT, "scripts/e2e-env.sh"), "base-ref"], { encoding: "utf8" }).stdout.trim();
  const keys = mkdtempSync(join(tmpdir(), "pgi-bench-keys-"));
  process.env.COSIGN_PASSWORD = "bench";
  const gen = spawnSync("cosign", ["generate-key-pair"], { cwd: keys, encoding: "utf8" });
  if (gen.status !== 0) throw new Error(`cosign generate-key-pair: ${gen.stderr}`);
  // BENCH_TIER=0 skips the tier's signed stack: its cold build, with arm64 under QEMU, takes half an hour here.
  if (process.env.BENCH_TIER === "0") say("the tier's stack: not measured (BENCH_TIER=0)");
  else await benchTier(base, keys, say);
  await benchStubStacks(base, say, keys);
  if (process.env.BENCH_COLD !== "0") await benchColdBuild(base, say);
}

/** The tier's shape: 3 types × 2 platforms on the local base, signed with a key; built once, then timed. */
async function benchTier(base: string, keys: string, say: (line: string) => void): Promise<void> {
  const lines = { push: say };
  const tier = await openStack({
    stack: "tier",
    workDir: stackDir("tier", {
      registry: `localhost:5000/bench-${Date.now()}`,
      postgresVersions: [spawnSync("bash", [join(ROOT, "scripts/archive-pg-version.sh"), base, "17"], { encoding: "utf8" }).stdout.trim()],
      previewVersions: [],
      bases: [base],
      buildArgs: { PG_PACKAGES: "debian" },
      caCertificates: HOST_CA,
      signing: { mode: "key", key: join(keys, "cosign.key"), tlogUpload: false, verify: { publicKey: join(keys, "cosign.pub") } },
    }),
    projectDir: ROOT,
  });
  await tier.setConfig("postgres-images:cosignPassword", { value: "bench", secret: true });
  // Built cold (BuildKit's cache pruned), so the build is measured against the supply-chain steps after it.
  spawnSync("docker", ["buildx", "prune", "--builder", BUILDER, "--all", "--force"], { stdio: "ignore" });
  const timer = resourceTimer();
  const cold = await tier.up({ continueOnError: true, onEvent: timer.onEvent });
  const images = cold.outputs.images.value as Record<string, ImageOutput>;
  const cells = Object.keys(images);
  const kinds = secondsPerCell(timer.seconds, cells);
  const scans = scanSeconds(cells.map((c) => images[c].ref), images[cells[0]].platforms);
  kinds.set("scan (per platform, summed)", (scans.reduce((a, b) => a + b, 0) / cells.length));
  const build = kinds.get("build and push (Image)") ?? NaN;
  const supply = [...kinds].filter(([k]) => /^(sign|verify|attest|scan)/.test(k)).reduce((a, [, v]) => a + v, 0);
  lines.push(`the tier's stack, cold up, seconds per cell (3 cells x 2 platforms, signed): ${[...kinds].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}; sign+verify+attest+scan ${supply.toFixed(1)} s = ${(supply / build).toFixed(2)}x the build`);
  const t = await timeAsync(() => tier.up({ continueOnError: true }), RUNS);
  lines.push(`pulumi up, nothing to do, the tier's stack (3 cells x 2 platforms, signed): ${fmt(t)}`);
  const size = stateSize(stateFileOf(process.env.PULUMI_BACKEND_URL ?? "", "tier"));
  // Most of it is the builds' CA secret (the machine's whole trust store, encrypted, in the Image's inputs and
  // outputs); issue 18's state goal is judged on the signed stub stack (bench/stub-stacks.ts), which has none.
  lines.push(`  ${describeStateSize(size, 3)}`);
}
