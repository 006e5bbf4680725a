/**
 * `npm run up`: a real `pulumi up --yes` of a local stack (scripts/up.sh prepares the registry, the
 * builder and the engine first), then the pushed images and how to pull them.
 *
 *   node dist/engine/up.js [--stack dev] [--local-base REF] [--preview]
 *
 * --local-base replaces the stack's bases by REF and installs PostgreSQL from the base's own Debian
 * archive (`PG_PACKAGES: debian`): what a machine without Docker Hub or the PostgreSQL repository needs.
 * The replacement goes into a stack file of its own beside the state (`--config-file`), so the committed
 * `Pulumi.<stack>.yaml` stays what a user reads.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { ImageOutput } from "../lib/outputs";
import { NAMESPACE } from "../lib/settings";
import { openStack, PROJECT_DIR, useEngine } from "./workspace";

interface Args {
  readonly stack: string;
  readonly localBase?: string;
  readonly preview: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let stack = "dev";
  let localBase: string | undefined;
  let preview = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" && argv[i + 1] !== undefined) stack = argv[++i];
    else if (a === "--local-base" && argv[i + 1] !== undefined) localBase = argv[++i];
    else if (a === "--preview") preview = true;
    else throw new UsageError(`unknown argument ${JSON.stringify(a)}; usage: up [--stack NAME] [--local-base REF] [--preview]`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: ${JSON.stringify(stack)} is not a stack name`);
  return { stack, localBase, preview };
}

class UsageError extends Error {}

/** Pulumi.<stack>.yaml with the bases replaced by the local one, written beside the state; its path. */
function localStackFile(stack: string, base: string, stateDir: string): string {
  const file = join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.setIn(["config", `${NAMESPACE}:bases`], [base]);
  const args = (doc.getIn(["config", `${NAMESPACE}:buildArgs`]) as { toJSON?: () => unknown } | undefined)?.toJSON?.() ?? {};
  doc.setIn(["config", `${NAMESPACE}:buildArgs`], { ...(args as Record<string, string>), PG_PACKAGES: "debian" });
  const out = join(stateDir, `Pulumi.${stack}.local.yaml`);
  writeFileSync(out, `# Written by npm run up from ${file} for a machine without Docker Hub: the local base, PostgreSQL from Debian.\n${doc.toString()}`);
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env = useEngine();
  const stack = await openStack({ stack: args.stack });
  const stateDir = (env.PULUMI_BACKEND_URL ?? "").startsWith("file://") ? env.PULUMI_BACKEND_URL.slice("file://".length) : PROJECT_DIR;
  const configFile = args.localBase === undefined ? undefined : localStackFile(args.stack, args.localBase, stateDir);
  const common = { configFile, onOutput: (s: string) => process.stdout.write(s), color: "never" as const };
  if (args.preview) {
    await stack.preview(common);
    return;
  }
  // One failed cell must not leave the others unbuilt or unsigned: the engine goes on with every step
  // that does not depend on the failure, and the next `up` finishes the job.
  await stack.up({ ...common, continueOnError: true });
  const outputs = await stack.outputs();
  const images = (outputs.images?.value ?? {}) as Record<string, ImageOutput>;
  process.stdout.write(`\nPushed images (stack output "images" of ${args.stack}):\n`);
  for (const [name, image] of Object.entries(images)) {
    process.stdout.write(`  ${name}\n    ${image.ref}\n${image.tags.map((t) => `    ${t}\n`).join("")}`);
  }
  const first = Object.values(images)[0];
  if (first !== undefined) {
    process.stdout.write(`\nPull one by digest:  docker pull ${first.ref}\n`);
    process.stdout.write(`Or by tag:           docker pull ${first.tags[0]}\n`);
  }
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  // The Automation API's CommandError carries the CLI's whole output, which the run already printed.
  process.stderr.write(`up: ${e instanceof UsageError ? message : (message.split("\n").find((l) => l.includes("error:")) ?? message.split("\n")[0]).trim()}\n`);
  process.exit(1);
});
