import type * as pulumi from "@pulumi/pulumi";
import { readProgramInputs } from "./config";
import { postgresImages, stackPolicies, type PolicyDocument, type ProgramOutputs } from "./program";

export type StackOutputs = Pick<ProgramOutputs, "images" | "targets" | "catalogs" | "signer"> &
  Partial<Pick<ProgramOutputs, "scans">> & {
    /** Admission policies for this stack's repository and signer (policy-controller, Kyverno); none without signing. */
    readonly policies: pulumi.Output<PolicyDocument[]>;
  };

/**
 * The whole Pulumi program: configuration → settings → one component per selected cell → the stack's
 * outputs. `index.ts` runs it when the CLI starts the program; the Automation API runs it as an inline
 * program (engine/: `npm run up`, the test tier), where it must be a function, called once per run.
 * `workDir` holds the stack file and is what relative paths start from: the project folder under the
 * CLI (its working directory), the workspace's folder inline (the process's own may be elsewhere).
 */
export function stackProgram(projectDir: string, workDir: string = process.cwd()): StackOutputs {
  const { settings, sources, secrets } = readProgramInputs(projectDir, workDir);
  const policies = stackPolicies(settings, workDir);
  const { images, targets, catalogs, signer, scans } = postgresImages(settings, sources, secrets);
  // Only a production stack (promoteFrom) scans.
  return { images, targets, catalogs, signer, policies, ...(settings.promoteFrom === "" ? {} : { scans }) };
}
