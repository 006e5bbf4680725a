/**
 * A build step: a fixed bash script (`scripts/steps/NAME.sh`, recorded by name and content hash) run with an
 * environment, recorded in the stack state, run again only when its `triggers` change.
 * The stamp, scan and promote steps, and an unsigned cell's tag step, are Steps; a signed cell's tag, sign,
 * verify and attest steps are the parts of one step (resources/parts-step.ts), served by the same provider.
 *
 * It is a Pulumi dynamic resource (served by the Node.js SDK's own dynamic provider) and not
 * `@pulumi/command`: that provider's plugin cannot be built on the machines this project is developed
 * and tested on (its Go module is not served there; docs/engine-notes.md), and what the steps need is
 * narrower than a general command anyway. The re-run rule is the point:
 *
 * - `triggers` changed (or the step is new): the step is replaced, i.e. its script runs;
 * - anything else changed (the script's content, the environment, the secret environment, the provider's
 *   own code): an update that runs nothing and keeps the recorded stdout, so editing a cosign script or
 *   rotating the password never re-signs an unchanged digest, and a new stamp script never restamps;
 * - a failed run records nothing, so the next `pulumi up` runs it again;
 * - delete runs nothing (tags, signatures and attestations stay in the registry);
 * - refresh (`pulumi refresh`, `up --refresh`) runs the step's `check`, if it has one: a fixed script
 *   file that asks the registry whether what the step made is still there (a tag, a signature, the image
 *   itself). Each line it prints is a drift, recorded in the output `drift`; the next diff of a drifted
 *   step is an update that runs the script again, with what it printed last time in STEP_STDOUT, so it
 *   heals the drift (or fails, saying why it must not) and can avoid reusing what it made before (the
 *   stamp never picks the minute of the build that was lost).
 *   A check that cannot tell (registry unreachable) fails the refresh with its message: a state that
 *   cannot be checked is not reported as checked.
 * - a script file that changed between the plan and the run fails the step (run again): a Step records
 *   the script it ran.
 *
 * Secrets: `secretEnvironment` reaches the script as environment variables only; the engine keeps it
 * encrypted among the inputs, and it is never part of the outputs. stdout is recorded (plain text): the
 * scripts print only a time, a digest or nothing. A failure's message carries the script's last stderr
 * lines, which scripts keep free of secrets (cosign reads COSIGN_PASSWORD itself).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ScriptRef, StepScriptName } from "../lib/build/step-script";
import { currentScriptRef } from "./step-runner";

export { PROGRESS_MARKER, STEP_STDOUT_ENV, type StepInputs, type StepOutputs } from "./step-runner";

export const STEP_TYPE = "pulumi-nodejs:dynamic:Resource";

/**
 * Where the dynamic-provider process finds the step runner: `dist/resources/step-runner.js` of this project
 * (engine/workspace.ts sets it for every run); without it, the same file under the process's working folder,
 * which is the project when the Pulumi CLI runs index.ts.
 */
export const STEP_RUNNER_ENV = "POSTGRES_IMAGES_STEP_RUNNER";

/**
 * The provider of every Step, as the Node.js SDK's dynamic-provider host loads it: the text of a module whose
 * `handler()` returns the provider (`requireFromString(props.__provider).handler()`, cached per text). It is
 * written here rather than serialised from a closure (what `pulumi.dynamic.Resource` does), because the engine
 * keeps it in every Step's inputs and outputs: 1.7 KB twice per step when serialised, this line now. It only
 * loads the runner (resources/step-runner.ts), compiled.
 */
export const STEP_PROVIDER_MODULE = `exports.handler=()=>require(process.env.${STEP_RUNNER_ENV}||process.cwd()+"/dist/resources/step-runner.js").stepRunner;`;

const refs = new Map<StepScriptName, ScriptRef>();

/** A step script by name, with the hash of its content now (once per program run). */
export function stepScript(name: StepScriptName): ScriptRef {
  let ref = refs.get(name);
  if (ref === undefined) refs.set(name, (ref = currentScriptRef(name)));
  return ref;
}

export interface StepArgs {
  readonly script: pulumi.Input<ScriptRef>;
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Only ever environment variables; kept secret in state. */
  readonly secretEnvironment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly triggers: pulumi.Input<pulumi.Input<string>[]>;
  /** Run on refresh: see StepInputs.check. */
  readonly check?: ScriptRef;
}

/**
 * One step of a cell; see the module comment for when it runs. A resource of the dynamic provider's type,
 * served by the SDK's dynamic-provider host like any `pulumi.dynamic.Resource`, with the provider text above.
 */
export class Step extends pulumi.CustomResource {
  declare readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: StepArgs, opts?: pulumi.CustomResourceOptions) {
    const secretEnvironment = args.secretEnvironment === undefined ? {} : pulumi.secret(args.secretEnvironment);
    super(
      STEP_TYPE,
      name,
      {
        __provider: STEP_PROVIDER_MODULE,
        script: args.script,
        environment: args.environment ?? {},
        secretEnvironment,
        triggers: args.triggers,
        step: name,
        check: args.check,
        stdout: undefined,
        drift: undefined,
      },
      opts,
    );
  }
}
