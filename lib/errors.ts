/**
 * A problem a user can act on: the message is one or more complete lines saying what is wrong and what
 * to change. Every entry point (the commands in cli/, `npm run up`, the program's config edge) catches
 * this one class, prints the message without a stack trace and exits non-zero; anything else is a bug.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem with one configuration key: what a user must change, on one line. */
export class ConfigError extends UserError {
  readonly key: string;
  readonly value: unknown;
  readonly accepted: string;

  constructor(key: string, value: unknown, accepted: string) {
    super(`${key}: ${showValue(value)} ${accepted}`);
    this.key = key;
    this.value = value;
    this.accepted = accepted;
  }
}

/** Every problem found in one configuration, reported together so a user fixes them in one pass. */
export class ConfigErrors extends UserError {
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.errors = errors;
  }
}

/** A value as written in a stack file (an unquoted `17.10`), shown without quotes. */
export class Written {
  constructor(readonly text: string) {}
}

/** Stands for a value an error line must not show (a plain-text secret). */
export const HIDDEN: unique symbol = Symbol("hidden");

/** Quotes a user's value for an error line; long or multi-line values are shortened. */
export function showValue(value: unknown): string {
  let text: string;
  if (value === HIDDEN) text = "(value not shown)";
  else if (value instanceof Written) text = value.text;
  else if (value === undefined) text = "(missing)";
  else if (typeof value === "string") text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? typeof value;
    } catch {
      text = `(${typeof value})`;
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Collects ConfigErrors while a configuration is read; `throwIfAny` ends the read. Problems already
 * found in how the stack file is written come first, and the keys they name are not reported again.
 */
export class ErrorList {
  readonly errors: ConfigError[] = [];
  private readonly settled: readonly string[];

  constructor(problems: readonly ConfigError[] = []) {
    this.errors.push(...problems);
    this.settled = problems.map((p) => p.key);
  }

  add(key: string, value: unknown, accepted: string): void {
    if (this.settled.some((k) => k === key || key.startsWith(`${k}[`) || key.startsWith(`${k}.`) || k.startsWith(`${key}[`) || k.startsWith(`${key}.`))) return;
    this.errors.push(new ConfigError(key, value, accepted));
  }

  get empty(): boolean {
    return this.errors.length === 0;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new ConfigErrors(this.errors);
  }
}
