/**
 * Issue 16's measure: the time per cell of the supply-chain steps (sign, verify, attest, scan) against the build
 * itself, on the tier's stack. Step times come from the engine's own events of a cold `pulumi up` (each
 * resource from its pre-event to its outputs, as they arrive); the scan is scripts/steps/scan.sh, what a
 * production stack runs per platform before promoting, here against an empty offline database written by
 * scan-db (none can be downloaded here: Trivy reads the image and matches nothing).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as auto from "@pulumi/pulumi/automation";
import { resourceName } from "../engine/run-report";
import { stepScriptPath } from "../resources/step-runner";

const ROOT = join(__dirname, "..");

/** Seconds each resource took, by name, from the engine's events as they arrive. */
export function resourceTimer(): { onEvent: (e: auto.EngineEvent) => void; seconds: Map<string, number> } {
  const started = new Map<string, number>();
  const seconds = new Map<string, number>();
  return {
    seconds,
    onEvent: (e) => {
      const pre = e.resourcePreEvent?.metadata;
      if (pre !== undefined && pre.op !== "same") started.set(pre.urn, Date.now());
      const done = e.resOutputsEvent?.metadata;
      const t0 = done === undefined ? undefined : started.get(done.urn);
      if (done !== undefined && t0 !== undefined) seconds.set(resourceName(done.urn), (Date.now() - t0) / 1000);
    },
  };
}

/** Which kind of work a resource of a cell is: its name after the cell's, platforms folded together. */
function kind(cell: string, name: string): string {
  if (name === cell) return "build and push (Image)";
  return name.slice(cell.length + 1).replace(/-linux-.*$/, "");
}

/** Per cell: the mean seconds of each kind over `cells`. */
export function perCell(seconds: ReadonlyMap<string, number>, cells: readonly string[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const [name, s] of seconds) {
    const cell = cells.find((c) => name === c || name.startsWith(`${c}-`));
    if (cell === undefined) continue;
    const k = kind(cell, name);
    sums.set(k, (sums.get(k) ?? 0) + s);
  }
  return new Map([...sums].map(([k, s]) => [k, s / cells.length]));
}

/** Seconds scan.sh takes for each platform of each image (`REPO@sha256:…`), with Trivy and its empty database. */
export function scanSeconds(refs: readonly string[], platforms: readonly string[]): number[] {
  const work = mkdtempSync(join(tmpdir(), "pgi-bench-scan-"));
  const tool = (t: string): string => spawnSync("bash", [join(ROOT, "scripts/scanner.sh"), "bin", t], { encoding: "utf8" }).stdout.trim();
  writeFileSync(join(work, "none.json"), "[]");
  const db = spawnSync(tool("scan-db"), [join(work, "none.json"), join(work, "cache")], { encoding: "utf8" });
  if (db.status !== 0) throw new Error(`scan-db: ${db.stderr}`);
  const times: number[] = [];
  for (const ref of refs) {
    for (const platform of platforms) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync("bash", [stepScriptPath("scan")], {
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${join(tool("trivy"), "..")}:${process.env.PATH ?? ""}`,
          TRIVY_CACHE_DIR: join(work, "cache"),
          TRIVY_SKIP_DB_UPDATE: "true",
          TRIVY_OFFLINE_SCAN: "true",
          SCAN_REF: ref,
          PLATFORM: platform,
          SCAN_CELL: "bench",
          SCAN_REPORT: join(work, `${times.length}.json`),
          SCAN_GATE: JSON.stringify({ mode: "enforce", severity: "CRITICAL", ignoreUnfixed: true, allow: [] }),
        },
      });
      if (r.status !== 0) throw new Error(`scan.sh ${ref} ${platform}: ${r.stderr}`);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  return times;
}
