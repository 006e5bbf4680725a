import * as command from "@pulumi/command";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { isSigning } from "../lib/cosign";
import { definitionHash, type BuildSources } from "../lib/definition";
import { imageSpec, PLACEHOLDER_STAMP } from "../lib/image-spec";
import type { Cell } from "../lib/matrix";
import { provenancePredicate } from "../lib/provenance";
import type { Settings } from "../lib/settings";
import { parseStamp } from "../lib/stamp";
import { STAMP_SCRIPT, stampEnvironment } from "../lib/stamp-command";
import { imageRef, signatureCommands } from "./signature";

export const POSTGRES_IMAGE_TYPE = "postgres-images:index:PostgresImage";

/**
 * Prints the build time; it runs only when the stamp command is created, i.e. when the cell's
 * definition changes. It never picks a minute whose timestamped tag already exists in the registry
 * (lib/stamp-command.ts): its environment holds that tag's prefix and suffix.
 */
export const STAMP_COMMAND = STAMP_SCRIPT;

export interface PostgresImageArgs {
  readonly cell: Cell;
  readonly settings: Settings;
  /** Build context and Dockerfile hashes, computed once for all cells. */
  readonly sources: BuildSources;
  readonly cosignPassword?: pulumi.Output<string>;
}

/**
 * One cell of the matrix: its build time, the pushed multi-platform image and its signature and
 * attestations. Outputs name the image by digest (`ref` = `REPO@sha256:…`), never by a tag.
 */
export class PostgresImage extends pulumi.ComponentResource {
  readonly digest: pulumi.Output<string>;
  readonly ref: pulumi.Output<string>;
  readonly tags: pulumi.Output<string[]>;
  readonly platforms: pulumi.Output<string[]>;

  constructor(name: string, args: PostgresImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(POSTGRES_IMAGE_TYPE, name, {}, opts);
    const { cell, settings, sources } = args;

    // The stamp is recorded in state and only replaced when what defines the image changes, so an
    // unchanged cell keeps its build time, hence its tags and labels, hence no rebuild.
    const builtAt = new command.local.Command(`${cell.name}-built-at`, { create: STAMP_COMMAND, environment: stampEnvironment(cell), triggers: [definitionHash(cell, settings, sources)] }, { parent: this });
    const stamp = builtAt.stdout.apply(parseStamp);
    // Only tags, labels and the exporter carry the build time; the rest is known now.
    const fixed = imageSpec(cell, settings, PLACEHOLDER_STAMP);
    const stamped = stamp.apply((s) => imageSpec(cell, settings, s));

    const image = new dockerbuild.Image(
      cell.name,
      {
        tags: stamped.tags,
        buildArgs: fixed.buildArgs,
        labels: stamped.labels,
        platforms: fixed.platforms as dockerbuild.Platform[],
        target: fixed.target,
        context: fixed.context,
        dockerfile: fixed.dockerfile,
        push: fixed.push,
        buildOnPreview: fixed.buildOnPreview,
        exports: stamped.exports,
        builder: fixed.builder,
        cacheFrom: fixed.cacheFrom,
        cacheTo: fixed.cacheTo,
      },
      // Pushed tags are releases: removing a cell from the matrix must not delete them from the registry.
      { parent: this, retainOnDelete: true },
    );

    this.digest = image.digest;
    this.ref = imageRef(cell.repository, image.digest);
    this.tags = image.tags.apply((t) => t ?? []);
    this.platforms = pulumi.output([...cell.platforms]);

    if (isSigning(settings.signing)) {
      signatureCommands(
        {
          cell,
          digest: image.digest,
          signing: settings.signing,
          password: args.cosignPassword,
          provenance: stamp.apply((s) => JSON.stringify(provenancePredicate(cell, fixed, settings, sources, s))),
        },
        this,
      );
    }

    this.registerOutputs({ digest: this.digest, ref: this.ref, tags: this.tags, platforms: this.platforms });
  }
}
