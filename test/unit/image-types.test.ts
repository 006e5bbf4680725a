/**
 * An image type is a Dockerfile stage plus its name in IMAGE_TYPES (lib/config/settings.ts): everything
 * else (cell names, tags, catalogs, CI jobs through `targets --json`) follows from the matrix. These keep
 * the places that must agree with that list from drifting: the Dockerfiles' stages and Pulumi.yaml's words.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { IMAGE_TYPES } from "../../lib/config/settings";
import { ROOT } from "../helpers";

const stages = (dockerfile: string): string[] => [...readFileSync(join(ROOT, dockerfile), "utf8").matchAll(/^FROM\s+\S+\s+AS\s+(\S+)\s*$/gim)].map((m) => m[1]);

test("every image type is a stage of the Dockerfile and of the stub Dockerfile the tiers build", () => {
  for (const file of ["Dockerfile", "test/fixtures/stub/Dockerfile"]) {
    const missing = IMAGE_TYPES.filter((t) => !stages(file).includes(t));
    assert.deepEqual(missing, [], `${file} has no stage for ${missing.join(", ")}`);
  }
});

test("Pulumi.yaml's imageTypes names exactly the image types, in their order", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { config: { imageTypes: { description: string; default: string[] } } };
  const key = project.config.imageTypes;
  assert.match(key.description, new RegExp(`from ${IMAGE_TYPES.join(", ")}\\.$`));
  assert.deepEqual(key.default, [...IMAGE_TYPES]);
});
