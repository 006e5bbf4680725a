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
import { benchStubStacks } from "./stub-stacks";
import { fmt, timeAsync } from "./timing";

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.BENCH_ENGINE_RUNS ?? 3);
const BUILDER = "postgres-images";

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
 * `say` gets each line as it is measured. The large matrix is previewed once and only with
 * BENCH_ENGINE_LARGE=1: on 2 cores a real preview of 990 cells (7,920 resources) did not finish
 * within 16 minutes.
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

  for (const m of matrices) {
    const large = m.cells > 60;
    if (large && process.env.BENCH_ENGINE_LARGE !== "1") {
      say(`pulumi preview, ${m.cells} cells: not measured (BENCH_ENGINE_LARGE=1 measures it once; it takes more than 16 minutes on 2 cores)`);
      continue;
    }
    const stack = await openStack({ stack: `bench-${m.cells}`, workDir: stackDir(`bench-${m.cells}`, m.config), projectDir: ROOT });
    const t = await timeAsync(() => previewWithoutCheckpoints(stack), large ? 1 : RUNS);
    const bake = bakeSeconds.get(m.cells);
    lines.push(`pulumi preview, ${m.cells} cells: ${fmt(t)}${bake === undefined ? "" : `; bake --print ${bake.toFixed(3)} s`}${m.cells <= 60 ? ` (goal: under 10 s: ${t.median < 10 ? "met" : "NOT met"})` : ""}`);
  }

  // The tier's shape: 3 types × 2 platforms on the local base, signed with a key; built once, then timed.
  const base = spawnSync("bash", [join(ROOT, "scripts/e2e-env.sh"), "base-ref"], { encoding: "utf8" }).stdout.trim();
  const keys = mkdtempSync(join(tmpdir(), "pgi-bench-keys-"));
  process.env.COSIGN_PASSWORD = "bench";
  const gen = spawnSync("cosign", ["generate-key-pair"], { cwd: keys, encoding: "utf8" });
  if (gen.status !== 0) throw new Error(`cosign generate-key-pair: ${gen.stderr}`);
  const tier = await openStack({
    stack: "tier",
    workDir: stackDir("tier", {
      registry: `localhost:5000/bench-${Date.now()}`,
      postgresVersions: ["17.12"],
      previewVersions: [],
      bases: [base],
      buildArgs: { PG_PACKAGES: "debian" },
      signing: { mode: "key", key: join(keys, "cosign.key"), tlogUpload: false, verify: { publicKey: join(keys, "cosign.pub") } },
    }),
    projectDir: ROOT,
  });
  await tier.setConfig("postgres-images:cosignPassword", { value: "bench", secret: true });
  await tier.up({ continueOnError: true });
  const t = await timeAsync(() => tier.up({ continueOnError: true }), RUNS);
  lines.push(`pulumi up, nothing to do, the tier's stack (3 cells x 2 platforms, signed): ${fmt(t)} (goal: under 15 s: ${t.median < 15 ? "met" : "NOT met"})`);
  await benchStubStacks(base, say);
}
