#!/usr/bin/env node
/**
 * `npm run update-versions -- [--from FILE_OR_URL] [--dir PROJECT_DIR]`: rewrites the
 * `postgresVersions` default in Pulumi.yaml from postgresql.org's versions.json (every supported major
 * at its latest minor, sorted), and drops the previews whose major is released. Versions are written as
 * quoted strings; comments and layout of Pulumi.yaml stay as they are (the YAML library's document API
 * edits the two lists only). Prints one line; exit 0 also when nothing changed. Bad or unreachable
 * input: one line on stderr, exit 1, the file untouched.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as YAML from "yaml";
import { UserError } from "../lib/errors";
import { parseReleases, updateVersions } from "../lib/config/pg-releases";

const DEFAULT_SOURCE = "https://www.postgresql.org/versions.json";
const USAGE = "usage: npm run update-versions -- [--from FILE_OR_URL] [--dir PROJECT_DIR]";

class UpdateError extends UserError {}

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    if (!source.startsWith("https://")) throw new UpdateError(`--from: ${source} is not https; expected an https URL or a file`);
    let response: Response;
    try {
      response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new UpdateError(`${source}: cannot be fetched (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
    if (!response.ok) throw new UpdateError(`${source}: HTTP ${response.status}`);
    return response.text();
  }
  try {
    return readFileSync(source, "utf8");
  } catch (e) {
    throw new UpdateError(`${source}: cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** The `default:` list of a key declared in Pulumi.yaml's config block. */
function defaultList(doc: YAML.Document, file: string, key: string): { decl: YAML.YAMLMap; values: string[] } {
  const decl = doc.getIn(["config", key], true);
  if (!YAML.isMap(decl)) throw new UpdateError(`${file}: config.${key} is not declared with a default: list`);
  const list = decl.get("default", true);
  if (!YAML.isSeq(list)) throw new UpdateError(`${file}: config.${key}.default is not a list`);
  const values = list.items.map((item) => (YAML.isScalar(item) && typeof item.value === "string" ? item.value : undefined));
  if (values.some((v) => v === undefined)) throw new UpdateError(`${file}: config.${key}.default has an item that is not a quoted string`);
  return { decl, values: values as string[] };
}

/** A block list of double-quoted strings: "18.10" stays a string for every YAML reader. */
function quotedList(doc: YAML.Document, values: readonly string[]): YAML.YAMLSeq {
  const seq = doc.createNode([...values]) as YAML.YAMLSeq;
  for (const item of seq.items) (item as YAML.Scalar).type = "QUOTE_DOUBLE";
  return seq;
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { from: { type: "string", default: DEFAULT_SOURCE }, dir: { type: "string", default: "." } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UpdateError(`${(e as Error).message}\n${USAGE}`);
  }
  const file = join(values.dir, "Pulumi.yaml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UpdateError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) throw new UpdateError(`${file}: is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  const stable = defaultList(doc, file, "postgresVersions");
  const previews = defaultList(doc, file, "previewVersions");

  const releases = parseReleases(await readSource(values.from), values.from);
  const update = updateVersions({ postgresVersions: stable.values, previewVersions: previews.values }, releases);
  if (update.changed) {
    stable.decl.set("default", quotedList(doc, update.postgresVersions));
    if (update.previewVersions.length !== previews.values.length) previews.decl.set("default", quotedList(doc, update.previewVersions));
    // lineWidth 0: nothing else in the file is re-wrapped.
    writeFileSync(file, doc.toString({ lineWidth: 0 }));
  }
  process.stdout.write(`${update.summary}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UserError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  },
);
