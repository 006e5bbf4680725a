/**
 * How the Pulumi CLI's YAML reader (Go's gopkg.in/yaml.v3, decoding into interface{}) resolves a plain,
 * unquoted scalar, and whether the CLI then hands the program the text as written. Pulumi passes a
 * top-level value on as the string of what it decoded (`2026.10` arrives as "2026.1", `0x1F` as "31",
 * `True` as "true") and a list or map as JSON (`[17.10]` arrives as `[17.1]`). A stack file means what it
 * says only where the two agree; everywhere else the user must quote the value.
 *
 * Checked against the real CLI by test/e2e/cli-config.test.ts.
 */

export type PlainKind = "null" | "bool" | "int" | "float" | "string";

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const BOOLS = new Set(["true", "True", "TRUE", "false", "False", "FALSE"]);
/** Go's strconv.ParseInt(s, 0, 64) after yaml.v3 drops underscores: decimal, 0x, 0o, 0b and 0-prefixed octal. */
const INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** yaml.v3's yamlStyleFloat, and its spellings of infinity and NaN. */
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const SPECIAL_FLOAT = /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;
/** Integers yaml.v3 and Pulumi print back exactly as written. */
const CANONICAL_INT = /^(0|-?[1-9][0-9]{0,17})$/;

/** What yaml.v3 makes of a plain scalar's text. */
export function plainKind(text: string): PlainKind {
  if (NULLS.has(text)) return "null";
  if (BOOLS.has(text)) return "bool";
  if (SPECIAL_FLOAT.test(text)) return "float";
  const plain = text.replace(/_/g, "");
  if (INT.test(plain) && fitsInt64(plain)) return "int";
  if (FLOAT.test(plain) && Number.isFinite(Number(plain))) return "float";
  return "string";
}

function fitsInt64(text: string): boolean {
  const negative = text.startsWith("-");
  const digits = text.replace(/^[-+]/, "");
  try {
    // A leading 0 is octal to Go; BigInt wants 0o for that.
    const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
    return negative ? magnitude <= 2n ** 63n : magnitude < 2n ** 64n;
  } catch {
    return false;
  }
}

/** True when the CLI hands a top-level plain scalar to the program as exactly this text. */
export function keptAsWritten(text: string): boolean {
  const kind = plainKind(text);
  if (kind === "string") return true;
  if (kind === "bool") return text === "true" || text === "false";
  if (kind === "int") return CANONICAL_INT.test(text);
  return false;
}

/** "a YAML number", "a YAML boolean", …: how an error line names what a plain scalar became. */
export function describeKind(kind: PlainKind): string {
  return kind === "null" ? "an empty YAML value" : kind === "bool" ? "a YAML boolean" : kind === "string" ? "a string" : "a YAML number";
}
