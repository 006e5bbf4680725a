/**
 * A stack's settings as the program reads them, from `Pulumi.yaml` and `Pulumi.<stack>.yaml` in a project
 * folder: for the commands that run outside the engine (`targets`, `catalogs`). No Pulumi SDK here: `targets`
 * must start fast.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigFileError, mergeConfig, readProjectFile, readStackFile } from "../lib/config/stack-file";
import { loadSettings } from "../lib/load-settings";
import type { Settings } from "../lib/config/settings";

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigFileError(path, code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`);
  }
}

/** The settings of stack `stack` (its short name: the file is `Pulumi.<stack>.yaml`) in project folder `dir`. */
export function stackSettings(dir: string, stack: string): Settings {
  const projectFile = join(dir, "Pulumi.yaml");
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  const project = readProjectFile(readText(projectFile), projectFile);
  const file = readStackFile(readText(stackFile), stackFile);
  return loadSettings(mergeConfig(project.values, file.values), file.problems);
}
