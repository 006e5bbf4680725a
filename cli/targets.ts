#!/usr/bin/env node
/**
 * `npm run targets -- [--stack NAME] [--json] [--timestamp ISO]`: the stack's matrix as a table,
 * or as the bake file `docker buildx bake -f` reads. Deliberately free of the Pulumi SDK: it must start fast.
 */
import { parseArgs } from "node:util";
import { bakeFile } from "../lib/matrix/bake";
import { UserError } from "../lib/errors";
import { matrix } from "../lib/matrix/matrix";
import { renderTable } from "../lib/matrix/table";
import { parseStamp, stampOf, type Stamp } from "../lib/matrix/stamp";
import { stackSettings } from "./stack-settings";

const USAGE = "usage: npm run targets -- [--stack NAME] [--json] [--timestamp 2026-11-02T08:30:00Z] [--dir PROJECT_DIR]";
const STACK = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

class UsageError extends UserError {}

function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        json: { type: "boolean", default: false },
        timestamp: { type: "string" },
        dir: { type: "string", default: "." },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!STACK.test(values.stack)) throw new UsageError(`--stack: ${JSON.stringify(values.stack)} is not a stack name; expected letters, digits, . _ -`);
  let stamp: Stamp;
  try {
    stamp = values.timestamp === undefined ? stampOf(new Date()) : parseStamp(values.timestamp);
  } catch {
    throw new UsageError(`--timestamp: ${JSON.stringify(values.timestamp)} is not a time; expected RFC 3339 such as 2026-11-02T08:30:00Z`);
  }

  const settings = stackSettings(values.dir, values.stack);
  const cells = matrix(settings);

  if (values.json) {
    process.stdout.write(`${JSON.stringify(bakeFile(cells, settings, stamp), null, 2)}\n`);
  } else {
    process.stdout.write(renderTable(cells, settings, stamp));
  }
  for (const p of settings.droppedPreviews) {
    process.stderr.write(`note: previewVersions "${p.text}" is left out: major ${p.major} has a stable release\n`);
  }
  return 0;
}

// A reader that stops early (`targets --json | head -1`) closes the pipe: a normal end, not a crash.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (e instanceof UserError) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
