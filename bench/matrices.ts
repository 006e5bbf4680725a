import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

/** Eleven Debian releases, so a base per distro gives the ~1,000-cell matrix of the issue (30 × 3 × 11). */
const DISTROS = ["trixie", "bookworm", "bullseye", "buster", "stretch", "jessie", "forky", "duke", "sid", "wheezy", "squeeze"];

export interface BenchMatrix {
  name: string;
  /** Stack values, keys without namespace. */
  config: Record<string, unknown>;
  cells: number;
}

function digest(i: number): string {
  return `sha256:${i.toString(16).padStart(2, "0").repeat(32)}`;
}

export const DEFAULT_MATRIX: BenchMatrix = { name: "default", config: {}, cells: 36 };

export function largeMatrix(majors = 30, bases = 11): BenchMatrix {
  return {
    name: `${majors}x3x${bases}`,
    config: {
      postgresVersions: Array.from({ length: majors }, (_, i) => `${10 + i}.${i + 1}`),
      previewVersions: [],
      bases: DISTROS.slice(0, bases).map((d, i) => `debian:${d}-slim@${digest(i + 1)}`),
    },
    cells: majors * 3 * bases,
  };
}

/** A project directory with the real Pulumi.yaml and a stack `bench` holding the matrix. */
export function projectDir(root: string, m: BenchMatrix): string {
  const dir = mkdtempSync(join(tmpdir(), `pgi-bench-${m.name}-`));
  copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const config = Object.fromEntries(Object.entries(m.config).map(([k, v]) => [`postgres-images:${k}`, v]));
  writeFileSync(join(dir, "Pulumi.bench.yaml"), stringify({ config }));
  return dir;
}
