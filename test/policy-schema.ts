/** Checks admission policies against their CRDs' schemas (test/fixtures), with the validator test/catalog-schema.ts uses. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { ROOT } from "./helpers";

function validator(file: string): (document: unknown) => string[] {
  const schema = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", file), "utf8")) as object;
  const validate = new Ajv({ allErrors: true }).compile(schema);
  return (document) => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`));
}

/** The problems the API server (and policy-controller's webhook) would report for a ClusterImagePolicy; empty when valid. */
export const clusterImagePolicyProblems = validator("cluster-image-policy.schema.json");

/** The problems the API server (and Kyverno's webhook) would report for a ClusterPolicy; empty when valid. */
export const kyvernoClusterPolicyProblems = validator("kyverno-cluster-policy.schema.json");
