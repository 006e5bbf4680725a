import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ROOT } from "./helpers";

/** The compiled CLI, as `npm run targets` runs it (built by `npm run build`). */
export const TARGETS_JS = join(ROOT, "dist", "cli", "targets.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A project directory with the real Pulumi.yaml and one stack file holding `config` (keys without namespace). */
export function projectWithStack(stack: string, config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "pgi-cli-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const namespaced = Object.fromEntries(Object.entries(config).map(([k, v]) => [`postgres-images:${k}`, v]));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify({ config: namespaced }));
  return dir;
}

export function runTargets(args: string[]): Run {
  const r = spawnSync(process.execPath, [TARGETS_JS, ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
