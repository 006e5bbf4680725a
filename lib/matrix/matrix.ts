import type { PgVersion } from "../config/versions";
import { globMatches, type Base, type ImageType, type Settings } from "../config/settings";
import { cellName } from "./naming";

/** One image of the matrix: a version of one type on one base, built for every platform. */
export interface Cell {
  /** `postgresql-17-minimal-trixie`: the bake target and the Pulumi resource name. */
  readonly name: string;
  readonly version: PgVersion;
  readonly type: ImageType;
  readonly base: Base;
  readonly platforms: readonly string[];
  /** `REGISTRY/postgresql-testing` or `REGISTRY/postgresql`. */
  readonly repository: string;
  /** Dockerfile stage. */
  readonly target: ImageType;
  readonly context: string;
  readonly dockerfile: string;
}

type MatrixSettings = Pick<Settings, "versions" | "imageTypes" | "bases" | "platforms" | "repository" | "context" | "dockerfile">;

/** Every cell in bake order: bases, then versions, then types. */
export function allCells(s: MatrixSettings): Cell[] {
  const cells: Cell[] = [];
  for (const base of s.bases) {
    for (const version of s.versions) {
      for (const type of s.imageTypes) {
        cells.push({
          name: cellName(version, type, base.distro),
          version,
          type,
          base,
          platforms: s.platforms,
          repository: s.repository,
          target: type,
          context: s.context,
          dockerfile: s.dockerfile,
        });
      }
    }
  }
  return cells;
}

/** Names of every cell, for checking the `targets` filter while settings are read. */
export function allCellNames(s: MatrixSettings): string[] {
  return allCells(s).map((c) => c.name);
}

/** The cells `targets` selects (all when it is empty), still in bake order. */
export function selectCells(cells: readonly Cell[], patterns: readonly string[]): Cell[] {
  if (patterns.length === 0) return [...cells];
  return cells.filter((c) => patterns.some((p) => globMatches(p, c.name)));
}

/** The matrix a stack builds: all cells filtered by `targets`. */
export function matrix(s: Settings): Cell[] {
  return selectCells(allCells(s), s.targets);
}
