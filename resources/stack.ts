import { readProgramInputs } from "./config";
import { postgresImages, type ProgramOutputs } from "./program";

export type StackOutputs = Pick<ProgramOutputs, "images" | "targets" | "catalogs">;

/**
 * The whole Pulumi program: configuration → settings → one component per selected cell → the stack's
 * outputs. `index.ts` runs it when the CLI starts the program; the Automation API runs it as an inline
 * program (lib/engine: `npm run up`, the test tier), where it must be a function, called once per run.
 */
export function stackProgram(projectDir: string): StackOutputs {
  const { settings, sources, secrets } = readProgramInputs(projectDir);
  const { images, targets, catalogs } = postgresImages(settings, sources, secrets);
  return { images, targets, catalogs };
}
