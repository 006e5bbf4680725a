import type { BuildSources } from "../build/definition";
import type { ImageSpec } from "../build/image-spec";
import type { Cell } from "../matrix/matrix";
import { PROJECT } from "../matrix/metadata";
import type { Settings } from "../config/settings";
import type { Stamp } from "../matrix/stamp";

/**
 * SLSA Provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance) for one cell, attached with
 * `cosign attest --type slsaprovenance1`: cosign wraps it in an in-toto statement whose subject is
 * the pushed digest. It records what defines the build, the same things lib/build/definition.ts hashes.
 */
export interface SlsaProvenanceV1 {
  readonly buildDefinition: {
    readonly buildType: string;
    readonly externalParameters: {
      readonly target: string;
      readonly platforms: readonly string[];
      readonly buildArgs: Readonly<Record<string, string>>;
      readonly context: { readonly path: string; readonly digest: { readonly sha256: string } };
      readonly dockerfile: { readonly path: string; readonly digest: { readonly sha256: string } };
      readonly source: { readonly repository: string; readonly revision: string };
    };
    readonly internalParameters: { readonly builder: string };
    readonly resolvedDependencies: readonly ResourceDescriptor[];
  };
  readonly runDetails: {
    readonly builder: { readonly id: string };
    readonly metadata: { readonly startedOn: string };
  };
}

export interface ResourceDescriptor {
  readonly uri: string;
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** Names this program's way of building (buildx through the docker-build provider); versioned with the predicate's layout. */
export const BUILD_TYPE = "https://github.com/cloudnative-pg/postgres-containers/postgres-images/buildx@v1";

const GIT_COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** `docker.io/library/debian:trixie-slim` → `pkg:docker/library/debian@trixie-slim?repository_url=docker.io`. */
export function basePurl(qualifiedName: string): string {
  const colon = qualifiedName.lastIndexOf(":");
  const slash = qualifiedName.indexOf("/");
  const repository = qualifiedName.slice(0, colon);
  const tag = qualifiedName.slice(colon + 1);
  return `pkg:docker/${repository.slice(slash + 1)}@${tag}?repository_url=${repository.slice(0, slash)}`;
}

export type ProvenanceSettings = Pick<Settings, "revision" | "builder">;

export function provenancePredicate(cell: Cell, spec: ImageSpec, settings: ProvenanceSettings, sources: BuildSources, stamp: Stamp): SlsaProvenanceV1 {
  const dependencies: ResourceDescriptor[] = [
    { uri: basePurl(cell.base.name), name: cell.base.text, digest: { sha256: cell.base.digest.replace(/^sha256:/, "") } },
  ];
  // A revision that is not a full commit id (a branch, a short sha) cannot be a digest; it stays a parameter.
  if (GIT_COMMIT.test(settings.revision)) {
    dependencies.push({ uri: `git+${PROJECT.url}@${settings.revision}`, digest: { gitCommit: settings.revision } });
  }
  const builder = settings.builder === "" ? "default" : settings.builder;
  return {
    buildDefinition: {
      buildType: BUILD_TYPE,
      externalParameters: {
        target: spec.target,
        platforms: spec.platforms,
        buildArgs: spec.buildArgs,
        context: { path: spec.context.location, digest: { sha256: sources.contextHash } },
        dockerfile: { path: spec.dockerfile.location, digest: { sha256: sources.dockerfileHash } },
        source: { repository: PROJECT.url, revision: settings.revision },
      },
      internalParameters: { builder },
      resolvedDependencies: dependencies,
    },
    runDetails: {
      builder: { id: `buildx://${builder}` },
      metadata: { startedOn: stamp },
    },
  };
}
