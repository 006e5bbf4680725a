/**
 * What a stack's state file holds, by kind of resource: the bytes each resource's JSON takes in the
 * checkpoint (the file backend writes it indented; the count here is of compact JSON, what any backend
 * stores), and how much of a Step is the serialised provider.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface StateResource {
  readonly type: string;
  readonly urn: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

export interface StateSize {
  /** Compact JSON bytes of all resources. */
  readonly bytes: number;
  /** The file on disk, as the file backend writes it. */
  readonly fileBytes: number;
  readonly byType: ReadonlyMap<string, { count: number; bytes: number }>;
  /** Bytes of `__provider` (inputs and outputs) over all Steps. */
  readonly providerBytes: number;
}

export function stateFileOf(backendUrl: string, stack: string): string {
  return join(backendUrl.slice("file://".length), ".pulumi", "stacks", "postgres-images", `${stack}.json`);
}

export function stateSize(file: string): StateSize {
  const text = readFileSync(file, "utf8");
  const doc = JSON.parse(text) as { checkpoint: { latest: { resources?: StateResource[] } } };
  const byType = new Map<string, { count: number; bytes: number }>();
  let bytes = 0;
  let providerBytes = 0;
  for (const r of doc.checkpoint.latest.resources ?? []) {
    const n = Buffer.byteLength(JSON.stringify(r));
    bytes += n;
    const t = byType.get(r.type) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += n;
    byType.set(r.type, t);
    for (const side of [r.inputs, r.outputs]) if (side?.__provider !== undefined) providerBytes += Buffer.byteLength(JSON.stringify(side.__provider));
  }
  return { bytes, fileBytes: Buffer.byteLength(text), byType, providerBytes };
}

/** One line per kind: `Step 8 × 2.9 KB`, and the total per cell. */
export function describeStateSize(s: StateSize, cells: number): string {
  const kinds = [...s.byType.entries()]
    .filter(([type]) => !type.startsWith("pulumi:"))
    .map(([type, t]) => `${type === "pulumi-nodejs:dynamic:Resource" ? "Step" : type.split(":").pop()} ${(t.count / cells).toFixed(0)} x ${(t.bytes / t.count / 1024).toFixed(1)} KB`)
    .join(", ");
  return `state ${(s.fileBytes / 1024).toFixed(0)} KB on disk, ${(s.bytes / cells / 1024).toFixed(1)} KB per cell (${kinds}; serialised step provider ${(s.providerBytes / cells / 1024).toFixed(1)} KB per cell)`;
}
