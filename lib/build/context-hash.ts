/**
 * I/O: hashes the build context and the Dockerfile as BuildKit would receive them, once per run
 * (every cell shares them). The hash feeds lib/build/definition.ts, so only a change to what the build
 * can see gives cells a new build time; files that .dockerignore leaves out never rebuild images.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { isAbsolute, join, posix, resolve } from "node:path";
import dockerignore from "@balena/dockerignore";
import type { BuildSources } from "./definition";
import type { Settings } from "../config/settings";
import { UserError } from "../errors";

/** A build context or Dockerfile that cannot be read; the message names the path and the key. */
export class BuildSourceError extends UserError {}

interface IgnoreRules {
  ignores(path: string): boolean;
  /** Negated patterns (`!keep/this`), cleaned, for deciding whether an ignored directory must still be walked. */
  readonly exceptions: readonly string[];
}

/** Docker's reading of a .dockerignore file: comments and blank lines skipped, paths cleaned, case-sensitive. */
export function ignoreRules(text: string): IgnoreRules {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const matcher = dockerignore({ ignorecase: false }).add(lines);
  const exceptions = lines
    .filter((l) => l.startsWith("!"))
    .map((l) => posix.normalize(l.slice(1).trim()).replace(/^\/+/, "").replace(/\/+$/, ""))
    .filter((p) => p !== "" && p !== ".");
  return { ignores: (p) => matcher.ignores(p), exceptions };
}

/**
 * Docker skips an ignored directory unless an exception pattern names a path inside it literally
 * (moby's archive walker: `strings.HasPrefix(pattern+"/", dir+"/")`); this does the same, so a
 * huge ignored tree such as node_modules is never read.
 */
function mustWalk(dir: string, rules: IgnoreRules): boolean {
  return rules.exceptions.some((p) => `${p}/`.startsWith(`${dir}/`));
}

/** sha256 hex of `data`. */
export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The ignore file BuildKit uses: `<Dockerfile>.dockerignore` beside the Dockerfile first, else `.dockerignore` in the context. */
function ignoreText(contextDir: string, dockerfilePath: string | undefined): string {
  const candidates = [...(dockerfilePath === undefined ? [] : [`${dockerfilePath}.dockerignore`]), join(contextDir, ".dockerignore")];
  for (const file of candidates) {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return "";
}

/**
 * sha256 hex over every path the context sends: kind, path, permission bits and content
 * (a link's target), in sorted order. Empty directories count: `COPY . /x` creates them.
 */
export function hashBuildContext(contextDir: string, dockerfilePath?: string): string {
  let st;
  try {
    st = statSync(contextDir);
  } catch {
    throw new BuildSourceError(`build context ${JSON.stringify(contextDir)} does not exist (postgres-images:context)`);
  }
  if (!st.isDirectory()) throw new BuildSourceError(`build context ${JSON.stringify(contextDir)} is not a directory (postgres-images:context)`);
  if (resolve(contextDir) === "/") throw new BuildSourceError(`build context ${JSON.stringify(contextDir)} is the file system root (postgres-images:context); expected the project's directory`);
  try {
    return hashTree(contextDir, dockerfilePath);
  } catch (e) {
    // EACCES, ELOOP, EINVAL (/proc): name the key and the path, not a raw error with a trace.
    const err = e as NodeJS.ErrnoException;
    if (err.code === undefined) throw e;
    throw new BuildSourceError(`build context ${JSON.stringify(contextDir)} cannot be read: ${err.code} on ${JSON.stringify(err.path ?? contextDir)} (postgres-images:context)`);
  }
}

function hashTree(contextDir: string, dockerfilePath: string | undefined): string {
  const rules = ignoreRules(ignoreText(contextDir, dockerfilePath));
  const hash = createHash("sha256");

  const walk = (rel: string): void => {
    const names = readdirSync(rel === "" ? contextDir : join(contextDir, rel)).sort();
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const abs = join(contextDir, path);
      const info = lstatSync(abs);
      const mode = (info.mode & 0o7777).toString(8);
      const ignored = rules.ignores(path);
      if (info.isDirectory()) {
        if (!ignored) hash.update(`d\0${path}\0${mode}\n`);
        if (!ignored || mustWalk(path, rules)) walk(path);
      } else if (ignored) {
        continue;
      } else if (info.isFile()) {
        hash.update(`f\0${path}\0${mode}\0${sha256(readFileSync(abs))}\n`);
      } else if (info.isSymbolicLink()) {
        // The docker-build provider's own hash follows links and hashes the target file's content: what
        // it sees change must change this hash too, or it would rebuild under the recorded build time.
        let target = "";
        try {
          if (statSync(abs).isFile()) target = sha256(readFileSync(abs));
        } catch {
          // A dangling link sends only itself.
        }
        hash.update(`l\0${path}\0${readlinkSync(abs)}\0${target}\n`);
      }
      // Sockets, FIFOs and devices are not sent by BuildKit.
    }
  };
  walk("");
  return hash.digest("hex");
}

/** sha256 hex of the Dockerfile's bytes. */
export function hashDockerfile(path: string): string {
  try {
    return sha256(readFileSync(path));
  } catch {
    throw new BuildSourceError(`Dockerfile ${JSON.stringify(path)} cannot be read (postgres-images:dockerfile)`);
  }
}

/** Both hashes, for paths relative to `cwd` (Pulumi runs the program and the provider in the project directory). */
export function readBuildSources(settings: Pick<Settings, "context" | "dockerfile">, cwd: string = process.cwd()): BuildSources {
  const contextDir = isAbsolute(settings.context) ? settings.context : resolve(cwd, settings.context);
  const dockerfile = isAbsolute(settings.dockerfile) ? settings.dockerfile : resolve(cwd, settings.dockerfile);
  return { contextHash: hashBuildContext(contextDir, dockerfile), dockerfileHash: hashDockerfile(dockerfile) };
}
