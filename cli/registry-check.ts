/**
 * Which of a set of `REPO@sha256:…` references the registry does not hold, asked the way the steps ask
 * (scripts/steps/resolve.sh, through `docker buildx imagetools inspect`), a few at a time.
 * A registry that cannot tell (unreachable, refused) is an error, never "absent".
 */
import { execFile } from "node:child_process";
import { stepScriptPath } from "../resources/step-runner";
import { UserError } from "../lib/errors";

export class RegistryCheckError extends UserError {}

const AT_ONCE = 4;

function resolveDigest(ref: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile("bash", [stepScriptPath("resolve"), ref], { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) fail(new RegistryCheckError(stderr.trim().split("\n").pop() || `cannot tell whether ${ref} exists`));
      else done(stdout.trim());
    });
  });
}

/** The references among `refs` (each `REPO@sha256:…`) whose digest the registry does not hold, in the order given. */
export async function absentDigests(refs: readonly string[]): Promise<string[]> {
  const unique = [...new Set(refs)];
  const found = new Map<string, boolean>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const ref = unique[next++];
      const digest = ref.slice(ref.indexOf("@") + 1);
      found.set(ref, (await resolveDigest(ref)) === digest);
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, unique.length) }, worker));
  return unique.filter((r) => !found.get(r));
}
