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
import type { PartArgs } from "./parts-step";
import { stepScript } from "./step";

export interface SignatureArgs {
  readonly cell: Cell;
  readonly signing: ActiveSigning;
  /** The cosign key's password (Pulumi secret); only ever placed in the signing parts' environment. */
  readonly password?: pulumi.Output<string>;
  /** The SLSA v1 provenance predicate, JSON, of a build: attested on the index. */
  readonly provenance?: pulumi.Output<string>;
  /**
   * For a promoted image instead of `provenance`: the testing image (`TESTING_REPO@DIGEST`) and the testing
   * stack's signer; the testing build's provenance is read from there, verified, and attested again by this signer.
   */
  readonly reattestFrom?: { readonly sourceRef: pulumi.Output<string>; readonly signer: pulumi.Output<ActiveSigning> };
}

export interface SignatureParts {
  /** sign, verify (when there is a policy), attest-provenance, attest-sbom-PLATFORM…, in that order. */
  readonly parts: readonly PartArgs[];
  /** The password, for the parts marked `secret`. */
  readonly secretEnvironment: Record<string, pulumi.Input<string>>;
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
 * The cosign sign, verify and attest parts of one pushed image (resources/parts-step.ts), to be run on
 * IMAGE_REF = REPO@DIGEST (the step's environment).
 *
 * Re-run rule: sign and attest run for a new digest or a new signer (mode, key, Fulcio, Rekor, tlog), so
 * rotating the password or editing a script re-signs nothing; verify runs for a new digest, signer or
 * verification policy, and after a signature made again (docs/engine-notes.md has the table). A part that
 * fails is not recorded, so the next `pulumi up` runs it again for the same digest.
 */
export function signatureParts(args: SignatureArgs): SignatureParts {
  const { cell, signing } = args;
  const secretEnvironment: Record<string, pulumi.Input<string>> = signing.mode === "key" && args.password !== undefined ? { [ENV.password]: args.password } : {};

  // Who signs: a new key, Fulcio, Rekor or tlog setting signs again; the password and the scripts do not.
  const signer = canonicalJson(signerIdentity(signing));

  // On refresh each part checks that what it made is still in the registry (lib/signing/cosign.ts PRESENCE_CHECKS):
  // signatures on the index and every platform manifest; the provenance on the index; each SBOM on its platform's manifest.
  // Only parts that sign get the password; `verify` needs none.
  // A part's key leaves out the digest: a new digest runs every part (the step's trigger).
  const part = (name: string, c: CosignCommand, check: ScriptRef | undefined, extra: Record<string, pulumi.Input<string>> = {}, payload?: Record<string, pulumi.Input<string>>): PartArgs => ({
    name,
    script: stepScript(c.script),
    ...(check === undefined ? {} : { check }),
    key: [signer],
    environment: { ...c.environment, ...extra },
    ...(payload === undefined ? {} : { payload }),
    secret: true,
  });

  const parts: PartArgs[] = [part("sign", signCommand(signing), stepScript(PRESENCE_CHECKS.signature))];
  const v = verifyCommand(signing);
  // Verification runs again for a new signature (digest, signer), a new policy, or a signature made again.
  if (v !== undefined) parts.push({ name: "verify", script: stepScript(v.script), key: [signer, canonicalJson(v.policy)], environment: v.environment, after: ["sign"] });
  // One after the other (the order of the parts): `cosign attest` reads the digest's attestation manifest, adds
  // its layer and pushes it back, so two at once can each push a manifest without the other's (seen in the
  // tier: a platform's SBOM lost when two syft scans ended together).
  const provenanceCheck = stepScript(PRESENCE_CHECKS.provenance);
  if (args.provenance !== undefined) {
    // The predicate is the run's alone: kept among the inputs, not in the outputs a check reads.
    parts.push(part("attest-provenance", attestProvenanceCommand(signing), provenanceCheck, {}, { [ENV.predicate]: args.provenance }));
  } else if (args.reattestFrom !== undefined) {
    const { sourceRef, signer: testingSigner } = args.reattestFrom;
    const command = testingSigner.apply((t) => reattestProvenanceCommand(signing, t));
    parts.push({
      name: "attest-provenance",
      script: command.apply((c) => stepScript(c.script)),
      check: provenanceCheck,
      key: [signer],
      environment: pulumi.all([command, sourceRef]).apply(([c, src]) => ({ ...c.environment, [ENV.sourceRef]: src })),
      secret: true,
    });
  } else {
    throw new Error(`${cell.name}: signatureParts needs the build's provenance or the testing image to read it from`);
  }
  const sbomCheck = stepScript(PRESENCE_CHECKS.sbom);
  for (const p of cell.platforms) parts.push(part(`attest-sbom-${platformSlug(p)}`, attestSbomCommand(signing), sbomCheck, { [ENV.platform]: p }));
  return { parts, secretEnvironment };
}
