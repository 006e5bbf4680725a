/**
 * Where a part's payload (the provenance predicate, about 1.5 KB a cell) waits for its run: a file named by the
 * sha256 of its content, so the stack state records the hash instead of the text. The program writes it every
 * time it runs (a preview too: the same name for the same content), before the engine can start the part, so a
 * run on a new machine finds it; the part's run reads it back and checks the hash.
 *
 * The folder: POSTGRES_IMAGES_PAYLOADS, else `${XDG_CACHE_HOME:-~/.cache}/postgres-images/payloads`, the same for
 * the program and the providers the engine starts from it. Files not written for 30 days are removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { sha256 } from "../lib/build/context-hash";

export const PAYLOAD_DIR_ENV = "POSTGRES_IMAGES_PAYLOADS";

const KEEP_MS = 30 * 24 * 3600 * 1000;

/** A payload the store does not have, or whose file is not what its hash says: named, with the way out. */
export class PayloadMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PayloadMissing";
  }
}

export function payloadDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[PAYLOAD_DIR_ENV] ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "postgres-images", "payloads");
}

const pruned = new Set<string>();

/** Removes, once per process and folder, the payloads not written for 30 days. */
function prune(dir: string): void {
  if (pruned.has(dir)) return;
  pruned.add(dir);
  const old = Date.now() - KEEP_MS;
  for (const f of readdirSync(dir)) {
    try {
      if (statSync(join(dir, f)).mtimeMs < old) rmSync(join(dir, f), { force: true });
    } catch {
      // Removed meanwhile by another run.
    }
  }
}

/** Stores `text` (once per content; a file already there is only touched) and returns its sha256. */
export function storePayload(text: string, dir: string = payloadDir()): string {
  const hash = sha256(text);
  const file = join(dir, hash);
  mkdirSync(dir, { recursive: true });
  prune(dir);
  if (existsSync(file)) {
    const now = new Date();
    utimesSync(file, now, now);
  } else {
    // Written whole under another name, then renamed: a run reading it never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return hash;
}

/** The text stored under `hash`; fails when it is not there or not what the hash says. */
export function readPayload(hash: string, dir: string = payloadDir()): string {
  const file = join(dir, hash);
  if (!/^[0-9a-f]{64}$/.test(hash) || !existsSync(file)) {
    throw new PayloadMissing(`the payload ${hash} is not in ${dir}: the program writes it when it runs; run again (with the same ${PAYLOAD_DIR_ENV} as the program)`);
  }
  const text = readFileSync(file, "utf8");
  if (sha256(text) !== hash) throw new PayloadMissing(`${file} is not the payload it is named for (edited or cut short): remove it and run again`);
  return text;
}
