#!/usr/bin/env node
/**
 * `npm run --silent targets -- --stack testing --json | node dist/cli/ci-matrix.js [--stack-prefix testing] [--promote-prefix production]`:
 * the bake file on stdin → a GitHub Actions job matrix on stdout, one entry per PostgreSQL major.
 *
 * CI fans out one Pulumi stack per major (`testing-17`, …) so majors build in parallel without
 * waiting on one stack's lock. Free of the Pulumi SDK and of lib/: it reads only what `targets` prints.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UserError } from "../lib/errors";

const USAGE = "usage: npm run --silent targets -- --stack testing --json | node dist/cli/ci-matrix.js [--stack-prefix testing] [--promote-prefix production]";

/** One job of the fan-out. */
export interface MajorJob {
  /** PostgreSQL major, as in the cells' PG_MAJOR build arg: "17". */
  readonly major: string;
  /** The cell-name component of that major: "17", or "19beta3" for a pre-release. */
  readonly lead: string;
  /** The `targets` glob that selects the major's cells: "postgresql-17-*". */
  readonly targets: string;
  /** How many cells the major has. */
  readonly cells: number;
  /** The per-major stack to build: "testing-17". */
  readonly stack: string;
  /** The per-major stack that promotes it, when a promote prefix is given: "production-17". */
  readonly promoteStack?: string;
}

/** `strategy.matrix` as GitHub Actions reads it from JSON. */
export interface JobMatrix {
  readonly include: MajorJob[];
}

/** What `ciMatrix` rejects: input that is not the bake file `targets --json` prints. */
export class CiMatrixError extends UserError {}

/**
 * `postgresql-{lead}-{type}-{distro}` (lib/matrix/naming.ts): only what is safe in a stack name and a job is
 * checked here; which types and distros exist is the bake file's to say (a new image type needs no edit).
 */
const CELL_NAME = /^postgresql-([0-9]+(?:alpha|beta|rc)?[0-9]*)-([a-z][a-z0-9]*)-([a-z0-9][a-z0-9._]*)$/;
const MAJOR = /^[0-9]{1,3}$/;
/** The leads a major may have: itself, or a Debian-named pre-release without its tilde (19beta3). */
const LEAD_OF_MAJOR = (major: string): RegExp => new RegExp(`^${major}(?:(?:alpha|beta|rc)[0-9]+)?$`);
/** A stack-name prefix: what `targets --stack` and Pulumi accept, short enough to leave room for "-NN". */
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$/;
/** GitHub refuses a matrix of more than 256 jobs. */
const MAX_JOBS = 256;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The bake file → one job per major, in the order the majors first appear (bake order: bases, then
 * versions, then types). Throws CiMatrixError for anything that does not look like `targets --json`.
 */
export function ciMatrix(bake: unknown, stackPrefix = "testing", promotePrefix?: string): JobMatrix {
  for (const [flag, p] of [["--stack-prefix", stackPrefix], ["--promote-prefix", promotePrefix]] as const) {
    if (p !== undefined && !PREFIX.test(p)) throw new CiMatrixError(`${flag}: ${JSON.stringify(p)} is not a stack name prefix; expected letters, digits, . _ -`);
  }
  if (!isRecord(bake) || !isRecord(bake.group) || !isRecord(bake.group.default) || !isRecord(bake.target)) {
    throw new CiMatrixError("input is not a bake file; expected the JSON of `npm run --silent targets -- --stack NAME --json` ({group: {default: {targets}}, target})");
  }
  const names = bake.group.default.targets;
  if (!Array.isArray(names) || names.length === 0) throw new CiMatrixError("the bake file's group.default.targets is not a non-empty list of cell names");
  const targets = bake.target;

  const leads = new Map<string, { lead: string; cells: number }>();
  const order: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== "string") throw new CiMatrixError(`group.default.targets holds ${JSON.stringify(name)}, not a cell name`);
    const m = CELL_NAME.exec(name);
    if (!m) throw new CiMatrixError(`cell ${JSON.stringify(name)} is not named postgresql-LEAD-TYPE-DISTRO`);
    if (seen.has(name)) throw new CiMatrixError(`cell ${name} is listed twice`);
    seen.add(name);
    const target = targets[name];
    if (!isRecord(target) || !isRecord(target.args)) throw new CiMatrixError(`cell ${name} has no target with args in the bake file`);
    const major = target.args.PG_MAJOR;
    if (typeof major !== "string" || !MAJOR.test(major)) throw new CiMatrixError(`cell ${name} has PG_MAJOR ${JSON.stringify(major)}, not a PostgreSQL major`);
    const lead = m[1];
    if (!LEAD_OF_MAJOR(major).test(lead)) throw new CiMatrixError(`cell ${name} is named for ${lead} but builds PG_MAJOR ${major}`);
    const entry = leads.get(major);
    if (entry === undefined) {
      leads.set(major, { lead, cells: 1 });
      order.push(major);
    } else if (entry.lead !== lead) {
      // One stack per major: two leads of one major would need two target globs in one stack.
      throw new CiMatrixError(`major ${major} has cells named ${entry.lead} and ${lead}; expected one version per major`);
    } else {
      entry.cells += 1;
    }
  }
  if (order.length > MAX_JOBS) throw new CiMatrixError(`${order.length} majors exceed GitHub's ${MAX_JOBS} jobs per matrix`);

  return {
    include: order.map((major) => {
      const { lead, cells } = leads.get(major)!;
      const job: MajorJob = { major, lead, targets: `postgresql-${lead}-*`, cells, stack: `${stackPrefix}-${major}` };
      return promotePrefix === undefined ? job : { ...job, promoteStack: `${promotePrefix}-${major}` };
    }),
  };
}

function main(argv: string[], input: string): string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "stack-prefix": { type: "string", default: "testing" },
        "promote-prefix": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CiMatrixError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) return `${USAGE}\n`;
  let bake: unknown;
  try {
    bake = JSON.parse(input) as unknown;
  } catch (e) {
    throw new CiMatrixError(`input is not JSON (${(e as Error).message.replace(/\s+/g, " ")}); pipe \`npm run --silent targets -- --stack NAME --json\` in (--silent keeps npm's banner out)`);
  }
  // One line: the value goes into $GITHUB_OUTPUT as matrix=<json>.
  return `${JSON.stringify(ciMatrix(bake, values["stack-prefix"], values["promote-prefix"]))}\n`;
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2), readFileSync(0, "utf8")));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`ci-matrix: ${e.message}\n`);
    process.exitCode = 1;
  }
}
