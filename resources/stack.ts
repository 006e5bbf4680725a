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
  withoutPromiseStackTraces();
  const { settings, sources, secrets } = readProgramInputs(projectDir, workDir);
  const policies = stackPolicies(settings, workDir);
  const { images, targets, catalogs, signer, scans } = postgresImages(settings, sources, secrets);
  // Only a production stack (promoteFrom) scans.
  return { images, targets, catalogs, signer, policies, ...(settings.promoteFrom === "" ? {} : { scans }) };
}

/** Whether node was asked for a stack trace limit (`--stack-trace-limit=N` on its command line or in NODE_OPTIONS). */
export function stackTraceLimitAsked(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ""): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a.startsWith("--stack-trace-limit"));
}

/**
 * The SDK takes a stack trace of every promise it makes (runtime/debuggable.js, for a report of promises left
 * unresolved at exit), and the program's process is the critical path of a preview or a no-change `up`: at
 * 324 cells those traces were a fifth of its CPU. So errors of this process carry no stack trace unless node
 * was started with `--stack-trace-limit=N`; the resources' stack traces in the state are unaffected (the SDK
 * lifts the limit for them).
 */
function withoutPromiseStackTraces(): void {
  if (!stackTraceLimitAsked()) Error.stackTraceLimit = 0;
}
