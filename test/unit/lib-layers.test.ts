/**
 * lib/ is grouped by concern, and the folders stand in layers: a module imports only modules of its own
 * layer or of a layer listed before it, and nothing in lib/ loads Pulumi. The order is the data flow:
 * config → matrix → build → signing → scan → catalogs, promotion and policies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { ROOT } from "../helpers";

const LIB = join(ROOT, "lib");

/** Each layer: the paths under lib/ it holds (a folder ends in "/"). */
const LAYERS: readonly (readonly string[])[] = [
  ["errors.ts", "outputs.ts"],
  ["config/"],
  ["matrix/"],
  ["load-settings.ts"],
  ["build/"],
  ["signing/"],
  ["scan/"],
  ["catalogs/", "promotion/", "policies/"],
];

function layerOf(path: string): number {
  const i = LAYERS.findIndex((layer) => layer.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p)));
  assert.notEqual(i, -1, `lib/${path} is in no layer of this test: add it to LAYERS`);
  return i;
}

function libFiles(dir = LIB): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? libFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [relative(LIB, join(dir, e.name))] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(join(LIB, file), "utf8");
  return [...text.matchAll(/\b(?:from|import)\s+"([^"]+)"/g)].map((m) => m[1]);
}

test("lib/ holds only files that a layer names, in folders by concern", () => {
  const files = libFiles();
  assert.ok(files.length > 20, `found ${files.length} files under lib/`);
  for (const f of files) layerOf(f);
  assert.deepEqual(files.filter((f) => !f.includes("/")).sort(), ["errors.ts", "load-settings.ts", "outputs.ts"]);
});

test("every import of a lib/ module points to its own layer or one below, never to Pulumi or outside lib/", () => {
  const wrong: string[] = [];
  for (const f of libFiles()) {
    for (const spec of imports(f)) {
      if (spec.startsWith("@pulumi/")) wrong.push(`${f} imports ${spec}`);
      if (!spec.startsWith(".")) continue;
      const target = normalize(join(dirname(f), spec));
      if (target.startsWith("..")) {
        wrong.push(`${f} imports ${spec}, outside lib/`);
        continue;
      }
      const to = layerOf(`${target}.ts`);
      if (to > layerOf(f)) wrong.push(`${f} (layer ${layerOf(f)}) imports ${spec} (layer ${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});
