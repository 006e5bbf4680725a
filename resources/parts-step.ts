/**
 * A step made of parts: what a signed cell does to its pushed digest (the timestamped tag, the signature, its
 * verification, the provenance and SBOM attestations, the rolling tags), as one resource instead of one Step
 * each, so a cell's state and the engine's work per cell stay small (docs/engine-notes.md has the numbers).
 *
 * The re-run rules are a Step's (resources/step.ts), per part (resources/parts-runner.ts):
 * - a new digest (`triggers`) replaces the step: every part runs, in order;
 * - a part runs again when its own key changes (a new signer signs and attests again; a new policy verifies
 *   again; new rolling tags are pushed), and after a refresh found what it made gone;
 * - anything else (a script edited, the password rotated) is an update that runs nothing;
 * - a failed part records the parts before it, so the next run goes on from the failed one and never signs
 *   a digest twice; a part with no record at all (a run killed half-way, a state written before the parts)
 *   is checked against the registry first and only run when what it makes is missing;
 * - refresh runs each recorded part's check; delete runs nothing;
 * - the step records its scripts' content as one hash: a script file changed between the plan and the run fails
 *   the step before any part runs (run again).
 *
 * Same provider (and provider text) as a Step: the runner tells the two apart by the `parts` input.
 */
import * as pulumi from "@pulumi/pulumi";
import { scriptSetHash, type ScriptRef } from "../lib/build/step-script";
import { keyHash, type PartRecord } from "./parts-runner";
import { storePayload } from "./payload-store";
import { STEP_PROVIDER_MODULE, STEP_TYPE } from "./step";

export interface PartArgs {
  readonly name: string;
  readonly script: pulumi.Input<ScriptRef>;
  readonly check?: ScriptRef;
  /** The part runs again when this changes; the step is given its hash (parts-runner.ts keyHash). */
  readonly key: pulumi.Input<pulumi.Input<string>[]>;
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** For the run only (the provenance predicate): stored as files by content hash (resources/payload-store.ts), the state keeps the hashes. */
  readonly payload?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Whether the step's secret environment reaches this part. */
  readonly secret?: boolean;
  /** Run again whenever one of these parts ran in the same invocation. */
  readonly after?: readonly string[];
}

export interface PartsStepArgs {
  /** A change (the digest) runs every part again. */
  readonly triggers: pulumi.Input<pulumi.Input<string>[]>;
  readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Only ever environment variables of the parts marked `secret`; kept secret in state. */
  readonly secretEnvironment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly parts: readonly PartArgs[];
}

export class PartsStep extends pulumi.CustomResource {
  /** By part name: what each part's last run recorded. */
  declare readonly done: pulumi.Output<Record<string, PartRecord>>;

  constructor(name: string, args: PartsStepArgs, opts?: pulumi.CustomResourceOptions) {
    const secretEnvironment = args.secretEnvironment === undefined ? {} : pulumi.secret(args.secretEnvironment);
    const scripts = pulumi.all(args.parts.map((p) => p.script));
    super(
      STEP_TYPE,
      name,
      {
        __provider: STEP_PROVIDER_MODULE,
        step: name,
        triggers: args.triggers,
        environment: args.environment ?? {},
        secretEnvironment,
        // Each part names its scripts; their content is recorded once, as one hash.
        scripts: scripts.apply((refs) => scriptSetHash([...refs, ...args.parts.flatMap((p) => (p.check === undefined ? [] : [p.check]))])),
        parts: args.parts.map((p, i) => ({
          name: p.name,
          script: scripts.apply((refs) => refs[i].name),
          ...(p.check === undefined ? {} : { check: p.check.name }),
          key: pulumi.output(p.key).apply((k) => keyHash(k)),
          environment: p.environment ?? {},
          ...(p.payload === undefined ? {} : { payload: pulumi.output(p.payload).apply((values) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, storePayload(v)]))) }),
          ...(p.secret === true ? { secret: true } : {}),
          ...(p.after === undefined ? {} : { after: [...p.after] }),
        })),
        done: undefined,
        drift: undefined,
      },
      opts,
    );
  }
}
