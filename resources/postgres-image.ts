import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { isSigning } from "../lib/signing/cosign";
import { definitionHash, type BuildSources } from "../lib/build/definition";
import { imageSpec, PLACEHOLDER_STAMP } from "../lib/build/image-spec";
import type { Cell } from "../lib/matrix/matrix";
import { provenancePredicate } from "../lib/signing/provenance";
import type { Settings } from "../lib/config/settings";
import { parseBuildRecord, STAMP_CHECK_SCRIPT, STAMP_SCRIPT, stampEnvironment } from "../lib/build/stamp-command";
import { timestampedTag } from "../lib/matrix/naming";
import { TAG_CHECK_SCRIPT, TAG_ENV, TAG_SCRIPT } from "../lib/build/tag-command";
import { PartsStep, type PartArgs } from "./parts-step";
import { imageRef, signatureParts } from "./signature";
import { Step, stepScript } from "./step";

export const POSTGRES_IMAGE_TYPE = "postgres-images:index:PostgresImage";

/**
 * Prints the build time; it runs only when the stamp command is created, i.e. when the cell's
 * definition changes. It never picks a minute whose timestamped tag already exists in the registry
 * (lib/build/stamp-command.ts): its environment holds that tag's prefix and suffix.
 */
export const STAMP_COMMAND = STAMP_SCRIPT;

export interface PostgresImageArgs {
  readonly cell: Cell;
  readonly settings: Settings;
  /** Build context and Dockerfile hashes, computed once for all cells. */
  readonly sources: BuildSources;
  readonly cosignPassword?: pulumi.Output<string>;
  /** Extra CA certificates for the build, as its `ca-certificates` secret (never in a layer or in plain state). */
  readonly caCertificates?: pulumi.Output<string>;
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

    // The stamp is recorded in state and only replaced when what defines the image changes (its one
    // trigger), so an unchanged cell keeps its build time, hence its tags and labels, hence no rebuild.
    // It records the source revision too: labels and provenance name the revision the image was built
    // from, and a new commit alone (not part of the definition) rebuilds nothing.
    // On refresh it checks that its timestamped tag is still in the registry; if not (the image was
    // deleted), it runs again and the cell is built again under a new time (lib/build/stamp-command.ts).
    const builtAt = new Step(
      `${cell.name}-built-at`,
      { script: stepScript(STAMP_COMMAND), environment: stampEnvironment(cell, settings.revision), triggers: [definitionHash(cell, settings, sources)], check: stepScript(STAMP_CHECK_SCRIPT) },
      { parent: this },
    );
    const record = builtAt.stdout.apply(parseBuildRecord);
    const stamp = record.apply((r) => r.stamp);
    const built = record.apply((r): Settings => ({ ...settings, revision: r.revision ?? settings.revision }));
    // Only labels and the exporter's annotations carry the build time and revision; the rest is known now.
    const fixed = imageSpec(cell, settings, PLACEHOLDER_STAMP);
    const stamped = pulumi.all([built, stamp]).apply(([b, s]) => imageSpec(cell, b, s));

    // Pushed by digest only, with no tags: the provider may rebuild whenever it sees a change (its own
    // context hash, a refresh that found no tag), and such a rebuild must not move a tag.
    const image = new dockerbuild.Image(
      cell.name,
      {
        buildArgs: fixed.buildArgs,
        labels: stamped.labels,
        platforms: fixed.platforms as dockerbuild.Platform[],
        target: fixed.target,
        context: fixed.context,
        dockerfile: fixed.dockerfile,
        push: fixed.push,
        buildOnPreview: fixed.buildOnPreview,
        // The list is known and only each exporter's text waits for the build time: so a preview, which
        // does not know that time yet, does not read an unknown list as "no exports" and warn that nothing
        // will be pushed.
        exports: fixed.exports.map((_, i) => ({ raw: stamped.exports.apply((e) => e[i].raw) })),
        builder: fixed.builder,
        cacheFrom: fixed.cacheFrom,
        cacheTo: fixed.cacheTo,
        // Not part of the definition: BuildKit's cache does not key on a secret's content either.
        secrets: args.caCertificates === undefined ? undefined : { "ca-certificates": args.caCertificates },
      },
      // Pushed images are releases: removing a cell from the matrix must not delete them from the registry.
      { parent: this, retainOnDelete: true },
    );

    this.digest = image.digest;
    this.ref = imageRef(cell.repository, image.digest);

    // Tags the pushed digest, refusing to move the timestamped tag (lib/build/tag-command.ts): the timestamped
    // tag first (it names this build alone), the rolling tags (`17-minimal-trixie`, ...) last. A signed cell signs,
    // verifies and attests between the two, so no one pulls an unsigned image by a moving tag; it does it all as
    // the parts of one step (resources/parts-step.ts: each part recorded as it succeeds, run again only for a new
    // key or after a refresh found it gone). An unsigned cell has nothing to wait for: one Step pushes every tag.
    // Each tag part or step runs for a new digest or a new set of its tags, or after a refresh found one of them
    // missing or moved, and prints the digest once its tags resolve to it.
    const pinned = stamp.apply((s) => timestampedTag(cell, s));
    const rolling = pulumi.all([stamped.tags, pinned]).apply(([t, p]) => t.filter((x) => x !== p));
    const tagCheck = stepScript(TAG_CHECK_SCRIPT);
    this.platforms = pulumi.output([...cell.platforms]);

    if (!isSigning(settings.signing)) {
      const tags = pulumi.all([pinned, rolling]).apply(([p, r]) => [p, ...r].join("\n"));
      const tagged = new Step(
        `${cell.name}-tags`,
        {
          script: stepScript(TAG_SCRIPT),
          environment: { [TAG_ENV.imageRef]: this.ref, [TAG_ENV.digest]: image.digest, [TAG_ENV.pinned]: pinned, [TAG_ENV.tags]: tags },
          triggers: [image.digest, tags],
          check: tagCheck,
        },
        { parent: this },
      );
      this.tags = pulumi.all([tagged.stdout, stamped.tags]).apply(([, t]) => [...t]);
    } else {
      const tagPart = (name: string, tags: pulumi.Output<string>): PartArgs => ({ name, script: stepScript(TAG_SCRIPT), check: tagCheck, key: [tags], environment: { [TAG_ENV.tags]: tags } });
      const signature = signatureParts({
        cell,
        signing: settings.signing,
        password: args.cosignPassword,
        provenance: pulumi.all([built, stamp]).apply(([b, s]) => JSON.stringify(provenancePredicate(cell, fixed, b, sources, s))),
      });
      const published = new PartsStep(
        `${cell.name}-publish`,
        {
          triggers: [image.digest],
          environment: { [TAG_ENV.imageRef]: this.ref, [TAG_ENV.digest]: image.digest, [TAG_ENV.pinned]: pinned },
          secretEnvironment: signature.secretEnvironment,
          parts: [tagPart("tags", pinned), ...signature.parts, tagPart("rolling-tags", rolling.apply((r) => r.join("\n")))],
        },
        // A state written before the parts had the timestamped tag as its own Step: this step goes on from it.
        { parent: this, aliases: [{ name: `${cell.name}-tags` }] },
      );
      // Listed once every tag names the digest (a cell whose signing failed is not: its rolling tags did not move).
      this.tags = pulumi.all([published.done, stamped.tags]).apply(([, t]) => [...t]);
    }

    // The stack outputs carry these (resources/program.ts, where a failed cell is left out); registering
    // them here too would report a failed cell a second time, as an unhandled exception of the program.
    this.registerOutputs({});
  }
}
