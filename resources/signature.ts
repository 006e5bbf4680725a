import * as pulumi from "@pulumi/pulumi";
import { canonicalJson } from "../lib/build/definition";
import {
  attestProvenanceCommand,
  attestSbomCommand,
  ENV,
  PRESENCE_CHECKS,
  reattestProvenanceCommand,
  signCommand,
  signerIdentity,
  signingRef,
  verifyCommand,
  type ActiveSigning,
  type CosignCommand,
} from "../lib/signing/cosign";
import type { Cell } from "../lib/matrix/matrix";
import type { ScriptRef } from "../lib/build/step-script";
import { Step, stepScript } from "./step";

export interface SignatureArgs {
  readonly cell: Cell;
  /** The pushed digest; every step runs again when it changes (`triggers`). */
  readonly digest: pulumi.Output<string>;
  readonly signing: ActiveSigning;
  /** The cosign key's password (Pulumi secret); only ever placed in the commands' environment. */
  readonly password?: pulumi.Output<string>;
  /** The SLSA v1 provenance predicate, JSON, of a build: attested on the index. */
  readonly provenance?: pulumi.Output<string>;
  /**
   * For a promoted image instead of `provenance`: the testing image (`TESTING_REPO@DIGEST`) and the testing
   * stack's signer; the testing build's provenance is read from there, verified, and attested again by this signer.
   */
  readonly reattestFrom?: { readonly sourceRef: pulumi.Output<string>; readonly signer: pulumi.Output<ActiveSigning> };
  /** Resources the signature waits for (a promotion's copy). */
  readonly after?: readonly pulumi.Resource[];
}

export interface SignatureCommands {
  readonly sign: Step;
  readonly verify?: Step;
  readonly attestations: readonly Step[];
}

/** `linux/arm/v7` → `linux-arm-v7`, for resource names. */
export function platformSlug(platform: string): string {
  return platform.replace(/\//g, "-");
}

/**
 * `REPO@DIGEST`. A preview of a cell about to be rebuilt has no digest yet; the commands do not
 * run in a preview, so it stays empty there instead of failing the preview.
 */
export function imageRef(repository: string, digest: pulumi.Output<string>): pulumi.Output<string> {
  return digest.apply((d) => (pulumi.runtime.isDryRun() && !d ? "" : signingRef(repository, d)));
}

/**
 * The cosign sign, verify and attest steps of one pushed image, children of `parent`.
 *
 * Re-run rule (resources/step.ts: a Step runs when created and when its triggers change, never on
 * another edit): sign and attest run for a new digest or a new signer (mode, key, Fulcio, Rekor, tlog),
 * so rotating the password or editing a script re-signs nothing; verify runs for a new digest, signer or
 * verification policy (docs/engine-notes.md has the table). A run that fails records nothing, so the next `pulumi up` runs it again for the
 * same digest.
 */
export function signatureCommands(args: SignatureArgs, parent: pulumi.Resource): SignatureCommands {
  const { cell, digest, signing } = args;
  const ref = imageRef(cell.repository, digest);
  const secretEnv: Record<string, pulumi.Input<string>> = signing.mode === "key" && args.password !== undefined ? { [ENV.password]: args.password } : {};

  // Who signs: a new key, Fulcio, Rekor or tlog setting signs again; the password and the scripts do not.
  const signer = canonicalJson(signerIdentity(signing));

  // Only steps that sign get the password; `verify` needs none.
  // On refresh each step checks that what it made is still in the registry (lib/signing/cosign.ts PRESENCE_CHECKS).
  // Signatures on the index and every platform manifest; the provenance on the index; each SBOM on its platform's manifest.
  const signatureCheck = stepScript(PRESENCE_CHECKS.signature);
  const provenanceCheck = stepScript(PRESENCE_CHECKS.provenance);
  const sbomCheck = stepScript(PRESENCE_CHECKS.sbom);
  const make = (name: string, c: CosignCommand, extra: Record<string, pulumi.Input<string>>, secret: Record<string, pulumi.Input<string>>, triggers: string[], dependsOn: pulumi.Resource[], check: ScriptRef): Step =>
    new Step(
      name,
      { script: stepScript(c.script), environment: { ...c.environment, [ENV.imageRef]: ref, ...extra }, ...(Object.keys(secret).length === 0 ? {} : { secretEnvironment: secret }), triggers: [digest, ...triggers], check },
      { parent, dependsOn },
    );

  const sign = make(`${cell.name}-sign`, signCommand(signing), {}, secretEnv, [signer], [...(args.after ?? [])], signatureCheck);
  const v = verifyCommand(signing);
  // Verification runs again for a new signature (digest, signer), a new policy, or a signature made again.
  const verify = v === undefined ? undefined : make(`${cell.name}-verify`, v, {}, {}, [signer, canonicalJson(v.policy)], [sign], signatureCheck);
  // One after the other: `cosign attest` reads the digest's attestation manifest, adds its layer and
  // pushes it back, so two at once can each push a manifest without the other's (seen in the tier: a
  // platform's SBOM lost when two syft scans ended together).
  let provenance: Step;
  if (args.provenance !== undefined) {
    provenance = make(`${cell.name}-attest-provenance`, attestProvenanceCommand(signing), { [ENV.predicate]: args.provenance }, secretEnv, [signer], [sign], provenanceCheck);
  } else if (args.reattestFrom !== undefined) {
    const { sourceRef, signer: testingSigner } = args.reattestFrom;
    const command = testingSigner.apply((t) => reattestProvenanceCommand(signing, t));
    provenance = new Step(
      `${cell.name}-attest-provenance`,
      {
        script: command.apply((c) => stepScript(c.script)),
        environment: pulumi.all([command, ref, sourceRef]).apply(([c, r, src]) => ({ ...c.environment, [ENV.imageRef]: r, [ENV.sourceRef]: src })),
        ...(Object.keys(secretEnv).length === 0 ? {} : { secretEnvironment: secretEnv }),
        triggers: [digest, signer],
        check: provenanceCheck,
      },
      { parent, dependsOn: [sign] },
    );
  } else {
    throw new Error(`${cell.name}: signatureCommands needs the build's provenance or the testing image to read it from`);
  }
  const attestations: Step[] = [provenance];
  for (const p of cell.platforms) {
    const previous = attestations[attestations.length - 1];
    attestations.push(make(`${cell.name}-attest-sbom-${platformSlug(p)}`, attestSbomCommand(signing), { [ENV.platform]: p }, secretEnv, [signer], [sign, previous], sbomCheck));
  }
  return { sign, verify, attestations };
}
