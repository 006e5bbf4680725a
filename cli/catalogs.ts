#!/usr/bin/env node
/**
 * `npm run catalogs -- --stack NAME --out DIR [--dir PROJECT_DIR]`: the stack's `catalogs` output as
 * upstream publishes it (lib/catalog-files.ts: `catalog-{type}-{os}.yaml` and `kustomization.yaml`),
 * each file signed with the stack's own signing settings (`cosign sign-blob --bundle
 * FILE.sigstore.json`; the key's password from the stack's secret, through the environment only).
 * With `signing: {mode: none}` the files are written unsigned, and it says so.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as auto from "@pulumi/pulumi/automation";
import { useEngine } from "../engine/workspace";
import type { ClusterImageCatalog } from "../lib/catalog";
import { catalogFiles } from "../lib/catalog-files";
import { ConfigFileError, loadSettings, mergeConfig, readProjectFile, readStackFile } from "../lib/config";
import { BLOB_ENV, ENV, isSigning, signBlobCommand } from "../lib/cosign";
import { ConfigErrors } from "../lib/errors";
import { NAMESPACE } from "../lib/settings";

const USAGE = "usage: npm run catalogs -- --stack NAME --out DIR [--dir PROJECT_DIR]";
const STACK = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$/;

class CatalogError extends Error {}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { stack: { type: "string" }, out: { type: "string" }, dir: { type: "string", default: "." } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new CatalogError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.stack === undefined || !STACK.test(values.stack)) throw new CatalogError(`--stack: ${JSON.stringify(values.stack ?? "")} is not a stack name\n${USAGE}`);
  if (values.out === undefined || values.out === "") throw new CatalogError(`--out: a directory is needed\n${USAGE}`);
  const dir = resolve(values.dir);
  const stackName = values.stack.split("/").pop()!;

  // The stack's signing settings, read and checked as the program reads them.
  const stackFile = join(dir, `Pulumi.${stackName}.yaml`);
  const project = readProjectFile(read(join(dir, "Pulumi.yaml")), join(dir, "Pulumi.yaml"));
  const stack = readStackFile(read(stackFile), stackFile);
  const settings = loadSettings(mergeConfig(project.values, stack.values), stack.problems);

  useEngine();
  const ws = await auto.LocalWorkspace.create({ workDir: dir });
  let outputs: auto.OutputMap;
  try {
    outputs = await ws.stackOutputs(values.stack);
  } catch (e) {
    throw new CatalogError(`stack ${values.stack}: its outputs cannot be read (${(e as Error).message.split("\n").find((l) => /error:/.test(l))?.trim() ?? "pulumi stack output failed"})`);
  }
  const catalogs = outputs.catalogs?.value as ClusterImageCatalog[] | undefined;
  if (!Array.isArray(catalogs) || catalogs.length === 0) throw new CatalogError(`stack ${values.stack} has no catalogs output; run pulumi up first`);

  mkdirSync(values.out, { recursive: true });
  const files = catalogFiles(catalogs);
  for (const [name, text] of files) writeFileSync(join(values.out, name), text);

  if (!isSigning(settings.signing)) {
    process.stderr.write(`note: ${NAMESPACE}:signing is mode none: the catalogs are not signed\n`);
  } else {
    const command = signBlobCommand(settings.signing);
    const password = settings.signing.mode === "key" ? (await ws.getAllConfig(values.stack))[`${NAMESPACE}:cosignPassword`]?.value : undefined;
    for (const name of files.keys()) {
      const file = join(values.out, name);
      const r = spawnSync("bash", ["-c", command.script], {
        encoding: "utf8",
        env: { ...process.env, ...command.environment, [BLOB_ENV.file]: file, [BLOB_ENV.bundle]: `${file}.sigstore.json`, ...(password === undefined ? {} : { [ENV.password]: password }) },
      });
      if (r.status !== 0) throw new CatalogError(`${name}: cosign sign-blob failed: ${r.stderr.trim().split("\n").pop() ?? ""}`);
    }
  }
  for (const name of files.keys()) process.stdout.write(`${join(values.out, name)}${isSigning(settings.signing) ? ` (+ ${name}.sigstore.json)` : ""}\n`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof CatalogError || e instanceof ConfigErrors || e instanceof ConfigFileError) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
});
