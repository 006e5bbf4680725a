import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  attestProvenanceCommand,
  attestSbomCommand,
  ENV,
  reattestProvenanceCommand,
  signCommand,
  signingRef,
  verifyCommand,
  type ActiveSigning,
  type CosignCommand,
} from "../lib/cosign";
import type { Cell } from "../lib/matrix";

export interface SignatureArgs {
  readonly cell: Cell;
  /** The pushed digest; every command is replaced when it changes (`triggers`). */
  readonly digest: pulumi.Output<string>;
  readonly signing: ActiveSigning;
  /** The cosign key's password (Pulumi secret); only ever placed in the commands' environment. */
  readonly password?: pulumi.Output<string>;
  /**
   * The SLSA v1 provenance predicate, JSON; undefined for a promoted image, whose provenance (of the
   * testing build) is read from the attestation that came with it and attested again by this signer.
   */
  readonly provenance?: pulumi.Output<string>;
  /** Resources the signature waits for (a promotion's copy). */
  readonly after?: readonly pulumi.Resource[];
}

export interface SignatureCommands {
  readonly sign: command.local.Command;
  readonly verify?: command.local.Command;
  readonly attestations: readonly command.local.Command[];
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
 * The cosign sign, verify and attest commands of one pushed image, children of `parent`.
 * Nothing runs unless the digest is new: a Command runs only when created, and `triggers: [digest]`
 * replaces it (so runs it again) exactly when the image was rebuilt. A run that fails after the push
 * records no command, so the next `pulumi up` creates, and runs, it again for the same digest.
 */
export function signatureCommands(args: SignatureArgs, parent: pulumi.Resource): SignatureCommands {
  const { cell, digest, signing } = args;
  const ref = imageRef(cell.repository, digest);
  const secretEnv: Record<string, pulumi.Input<string>> = signing.mode === "key" && args.password !== undefined ? { [ENV.password]: pulumi.secret(args.password) } : {};

  // Only commands that sign get the password; `verify` needs none.
  const make = (name: string, c: CosignCommand, extra: Record<string, pulumi.Input<string>>, dependsOn: pulumi.Resource[]): command.local.Command =>
    new command.local.Command(
      name,
      {
        create: c.script,
        environment: { ...c.environment, [ENV.imageRef]: ref, ...extra },
        triggers: [digest],
        // cosign writes progress and errors to stderr; stdout carries nothing worth a log line.
        logging: "stderr",
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn },
    );

  const sign = make(`${cell.name}-sign`, signCommand(signing), secretEnv, [...(args.after ?? [])]);
  const v = verifyCommand(signing);
  const verify = v === undefined ? undefined : make(`${cell.name}-verify`, v, {}, [sign]);
  const attestations = [
    args.provenance === undefined
      ? make(`${cell.name}-attest-provenance`, reattestProvenanceCommand(signing), secretEnv, [sign])
      : make(`${cell.name}-attest-provenance`, attestProvenanceCommand(signing), { ...secretEnv, [ENV.predicate]: args.provenance }, [sign]),
    ...cell.platforms.map((p) => make(`${cell.name}-attest-sbom-${platformSlug(p)}`, attestSbomCommand(signing), { ...secretEnv, [ENV.platform]: p }, [sign])),
  ];
  return { sign, verify, attestations };
}
