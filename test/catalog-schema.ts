/** Checks a ClusterImageCatalog against the CRD's schema (test/fixtures) and its CEL rule (unique majors). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { ROOT } from "./helpers";

const schema = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "cluster-image-catalog.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

/** The problems the API server would report; empty when the catalog is valid. */
export function catalogProblems(catalog: unknown): string[] {
  const problems = validate(catalog) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
  const images = (catalog as { spec?: { images?: { major?: unknown }[] } }).spec?.images;
  if (Array.isArray(images)) {
    const majors = images.map((i) => i.major);
    if (new Set(majors).size !== majors.length) problems.push("/spec/images Images must have unique major versions");
  }
  return problems;
}
