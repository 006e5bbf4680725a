/**
 * The admission policies as files beside the catalogs (`npm run catalogs`): `policy-{kind}-{name}.yaml`,
 * one per policy of the stacks' `policies` outputs. Not in the catalogs' kustomization.yaml: a cluster
 * runs one admission controller, and its admin applies that one's file.
 */
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { PolicyError } from "./policies";

/** One stack's `policies` output, as read (unchecked). */
export interface StackPolicies {
  readonly stack: string;
  readonly policies: unknown;
}

interface PolicyDocument {
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

function isPolicy(value: unknown): value is PolicyDocument {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { kind?: unknown; metadata?: { name?: unknown } };
  return (v.kind === "ClusterPolicy" || v.kind === "ClusterImagePolicy") && typeof v.metadata?.name === "string" && /^[a-z0-9][a-z0-9-]*$/.test(v.metadata.name);
}

/**
 * File name → text. Stacks of one project (CI's per-major production stacks) name the same repository and
 * signer, so their policies are the same: each is written once. Two stacks with different policies under one
 * name stop it with one line naming both.
 */
export function policyFiles(sets: readonly StackPolicies[]): Map<string, string> {
  const seen = new Map<string, { stack: string; doc: PolicyDocument }>();
  for (const { stack, policies } of sets) {
    if (policies === undefined) continue;
    if (!Array.isArray(policies) || !policies.every(isPolicy)) throw new PolicyError(`stack ${stack}: its policies output is not a list of ClusterPolicy/ClusterImagePolicy documents; run pulumi up with this version of the program first`);
    for (const doc of policies) {
      const file = `policy-${doc.kind.toLowerCase()}-${doc.metadata.name}.yaml`;
      const other = seen.get(file);
      if (other !== undefined && !isDeepStrictEqual(other.doc, doc)) throw new PolicyError(`${doc.kind} ${doc.metadata.name} differs between stack ${other.stack} and stack ${stack}; they sign differently (give each signer its own catalogs folder)`);
      seen.set(file, { stack, doc });
    }
  }
  return new Map([...seen].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, { doc }]) => [file, stringify(doc, { lineWidth: 0 })]));
}
