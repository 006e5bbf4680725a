#!/usr/bin/env node
/**
 * `npm run catalogs -- --stack NAME [--stack NAME ...] --out DIR [--signing-from STACK] [--dir PROJECT_DIR]`:
 * the stacks' `catalogs` outputs as upstream publishes them (lib/catalogs/catalog-files.ts: `catalog-{type}-{os}.yaml`
 * and `kustomization.yaml`), and their `policies` outputs beside them (lib/policies/policy-files.ts), each file signed with the stacks' signing settings (`cosign sign-blob --bundle
 * FILE.sigstore.json`; a key's password from the stack's secret, through the environment only).
 *
 * Several stacks (CI's per-major production-17, production-18, ...) make one set of catalogs
 * (lib/catalogs/catalog.ts mergeCatalogs). The signing settings are read from the stacks' own files, which must
 * agree, or from `--signing-from STACK`'s file (CI's per-major stack files exist only in their own jobs).
 * A file whose text is unchanged and already has its bundle keeps both, so a run with nothing new changes
 * nothing in a published folder; a changed file loses its old bundle before it is written, so a failed
 * signing leaves a file without a bundle, which the next run signs. With `signing: {mode: none}` the files
 * are written unsigned, and it says so. Every image a catalog names must be in the registry, by digest,
 * before anything is written.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isDeepStrictEqual, parseArgs } from "node:util";
import * as auto from "@pulumi/pulumi/automation";
import { useEngine } from "../engine/workspace";
import { isCatalogList, mergeCatalogs, type StackCatalogs } from "../lib/catalogs/catalog";
import { catalogFiles } from "../lib/catalogs/catalog-files";
import { policyFiles, type StackPolicies } from "../lib/policies/policy-files";
import { BLOB_ENV, ENV, isSigning, signBlobCommand } from "../lib/signing/cosign";
import { UserError } from "../lib/errors";
import { NAMESPACE } from "../lib/config/settings";
import type { SigningSettings } from "../lib/config/signing-settings";
import { parseImageRef } from "../lib/config/reference";
import { stepScriptPath } from "../resources/step-runner";
import { absentDigests } from "./registry-check";
import { stackSettings } from "./stack-settings";

const USAGE = "usage: npm run catalogs -- --stack NAME [--stack NAME ...] --out DIR [--signing-from STACK] [--dir PROJECT_DIR]";
const STACK = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$/;
const SHORT_STACK = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const BUNDLE = ".sigstore.json";

class CatalogError extends UserError {}

/** `org/project/stack` → `stack`: the name of its `Pulumi.<stack>.yaml`. */
const shortName = (stack: string): string => stack.split("/").pop()!;

/** The one signing configuration of the stacks' files (or of `--signing-from`'s). */
function signingOf(dir: string, stacks: readonly string[], signingFrom: string | undefined): SigningSettings {
  const sources = signingFrom === undefined ? [...new Set(stacks.map(shortName))] : [signingFrom];
  const first = stackSettings(dir, sources[0]).signing;
  for (const other of sources.slice(1)) {
    if (!isDeepStrictEqual(stackSettings(dir, other).signing, first)) {
      throw new CatalogError(`stacks ${sources[0]} and ${other} sign differently (${NAMESPACE}:signing of Pulumi.${sources[0]}.yaml and Pulumi.${other}.yaml); give --signing-from STACK to sign as one of them`);
    }
  }
  return first;
}

/** The CLI's own `error:` line of a failed engine command. */
function engineError(e: unknown): string {
  return (e as Error).message.split("\n").find((l) => /error:/.test(l))?.trim() ?? "the pulumi command failed";
}

async function catalogsOf(ws: auto.Workspace, stack: string): Promise<StackCatalogs & StackPolicies> {
  let outputs: auto.OutputMap;
  try {
    outputs = await ws.stackOutputs(stack);
  } catch (e) {
    throw new CatalogError(`stack ${stack}: its outputs cannot be read (${engineError(e)})`);
  }
  const catalogs = outputs.catalogs?.value as unknown;
  if (catalogs === undefined || (Array.isArray(catalogs) && catalogs.length === 0)) throw new CatalogError(`stack ${stack} has no catalogs output; run pulumi up first`);
  if (!isCatalogList(catalogs)) throw new CatalogError(`stack ${stack}: its catalogs output is not a list of ClusterImageCatalogs; run pulumi up with this version of the program first`);
  return { stack, catalogs, policies: outputs.policies?.value as unknown };
}

/** `REPO:TAG@sha256:…` → `REPO@sha256:…`: what the registry is asked about. */
function byDigest(image: string): string {
  const ref = parseImageRef(image);
  return `${ref.domain === undefined ? "" : `${ref.domain}/`}${ref.path}@${ref.digest ?? ""}`;
}

/**
 * A catalog names only digests the registry holds: a cluster that applies it pulls them. A stack whose
 * image was deleted since its last run (a registry cleanup) has a stale output; its next
 * `pulumi up --refresh` builds that image again. One line per image the registry lacks.
 */
async function checkRegistry(sets: readonly StackCatalogs[]): Promise<void> {
  const named = sets.flatMap(({ stack, catalogs }) => catalogs.flatMap((c) => c.spec.images.map((i) => ({ stack, catalog: c.metadata.name, major: i.major, ref: byDigest(i.image), image: i.image }))));
  const absent = new Set(await absentDigests(named.map((n) => n.ref)));
  const lines = named.filter((n) => absent.has(n.ref)).map((n) => `stack ${n.stack}: ${n.catalog} major ${n.major} names ${n.image}, which the registry does not hold; run pulumi up --refresh on stack ${n.stack} first`);
  if (lines.length > 0) throw new CatalogError(lines.join("\n"));
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { stack: { type: "string", multiple: true }, out: { type: "string" }, "signing-from": { type: "string" }, dir: { type: "string", default: "." } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CatalogError(`${(e as Error).message}\n${USAGE}`);
  }
  const stacks = values.stack ?? [];
  if (stacks.length === 0) throw new CatalogError(`--stack: at least one stack is needed\n${USAGE}`);
  for (const s of stacks) if (!STACK.test(s)) throw new CatalogError(`--stack: ${JSON.stringify(s)} is not a stack name (STACK, PROJECT/STACK or ORG/PROJECT/STACK)\n${USAGE}`);
  const signingFrom = values["signing-from"];
  if (signingFrom !== undefined && !SHORT_STACK.test(signingFrom)) throw new CatalogError(`--signing-from: ${JSON.stringify(signingFrom)} is not a stack name (the NAME of a Pulumi.NAME.yaml)\n${USAGE}`);
  if (values.out === undefined || values.out === "") throw new CatalogError(`--out: a directory is needed\n${USAGE}`);
  const dir = resolve(values.dir);
  const out = values.out;

  // Read and checked as the program reads them, before anything is written.
  const signing = signingOf(dir, stacks, signingFrom);

  useEngine();
  const ws = await auto.LocalWorkspace.create({ workDir: dir });
  const sets: (StackCatalogs & StackPolicies)[] = [];
  for (const s of stacks) sets.push(await catalogsOf(ws, s));
  const files = catalogFiles(mergeCatalogs(sets));
  // The admission policies beside them (not in kustomization.yaml: a cluster applies its controller's).
  for (const [name, text] of policyFiles(sets)) files.set(name, text);
  await checkRegistry(sets);

  const signer = isSigning(signing) ? signing : undefined;
  const command = signer === undefined ? undefined : signBlobCommand(signer);
  // The key's password: the secret of the stack whose settings sign (the first one given, or --signing-from's).
  const passwordStack = signingFrom ?? stacks[0];
  let password: string | undefined;
  if (signer?.mode === "key") {
    try {
      password = (await ws.getAllConfig(passwordStack))[`${NAMESPACE}:cosignPassword`]?.value;
    } catch (e) {
      throw new CatalogError(`stack ${passwordStack}: its ${NAMESPACE}:cosignPassword cannot be read for signing with a key (${engineError(e)})`);
    }
  }

  mkdirSync(out, { recursive: true });
  const report: string[] = [];
  for (const [name, text] of files) {
    const file = join(out, name);
    const bundle = `${file}${BUNDLE}`;
    if (readIfExists(file) === text && (command === undefined || existsSync(bundle))) {
      report.push(`${file} (unchanged)`);
      continue;
    }
    // The old bundle signs the old text: it goes first, so no run leaves a file beside a bundle that fails.
    rmSync(bundle, { force: true });
    writeFileSync(file, text);
    if (command === undefined) {
      report.push(`${file} (unsigned)`);
      continue;
    }
    const r = spawnSync("bash", [stepScriptPath(command.script)], {
      encoding: "utf8",
      env: { ...process.env, ...command.environment, [BLOB_ENV.file]: file, [BLOB_ENV.bundle]: bundle, ...(password === undefined ? {} : { [ENV.password]: password }) },
    });
    if (r.status !== 0) throw new CatalogError(`${name}: cosign sign-blob failed: ${r.stderr.trim().split("\n").pop() ?? ""}`);
    report.push(`${file} (signed: ${name}${BUNDLE})`);
  }
  process.stdout.write(report.map((l) => `${l}\n`).join(""));
  if (command === undefined) process.stderr.write(`note: ${NAMESPACE}:signing is mode none: the catalogs are not signed\n`);
  // A catalog no stack lists any more (a retired base) is not removed: deleting what a cluster applies is the publisher's call.
  const stale = readdirSync(out).filter((n) => /^catalog-.+\.yaml$/.test(n) && !files.has(n));
  for (const n of stale.sort()) process.stderr.write(`note: ${join(out, n)} is not among these catalogs (not in kustomization.yaml); left in place\n`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UserError) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
});
