// Wiring only: the CLI's entry point for `pulumi preview` / `pulumi up` (resources/stack.ts).
import { stackProgram } from "./resources/stack";

const program = stackProgram(__dirname);

/** Cell name → {digest, ref (REPO@sha256:…), tags, platforms}. */
export const images = program.images;
/** The cells this stack builds, in bake order. */
export const targets = program.targets;
/** CloudNativePG ClusterImageCatalogs for the stable majors, by digest. */
export const catalogs = program.catalogs;
/** How this stack's signatures are verified (its signing settings); production verifies testing images against it. */
export const signer = program.signer;
/** Admission policies for this stack's repository: a policy-controller ClusterImagePolicy and a Kyverno ClusterPolicy requiring its signer and SLSA provenance; [] when unsigned. */
export const policies = program.policies;
/** A production stack's scan gate: cell name → each platform's scan (counts, report file); undefined on a testing stack. */
export const scans = program.scans;
