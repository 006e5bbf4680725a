import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ConfigFileError, projectDefaults, stackValues } from "../../lib/config/stack-file";
import { defaults } from "../helpers";

describe("Pulumi.yaml defaults", () => {
  it("declare every settings key with a default", () => {
    const d = defaults();
    for (const k of ["registry", "environment", "revision", "postgresVersions", "previewVersions", "imageTypes", "bases", "platforms", "extensions", "barmanVersion", "targets", "context", "dockerfile", "buildArgs", "builder", "cacheRepository", "rebuildEpoch", "signing", "promoteFrom"]) {
      assert.ok(k in d, k);
    }
  });
  it("read default, value and plain forms, own namespace only", () => {
    const d = projectDefaults(
      ["config:", "  a: {type: string, default: x}", "  postgres-images:b: {value: [1]}", "  c: 3", "  aws:region: us-east-1", "  d: {type: string, description: no default}"].join("\n"),
    );
    assert.deepEqual(d, { a: "x", b: [1], c: 3 });
  });
  it("name the file when it is not YAML", () => {
    assert.throws(() => projectDefaults("config: [", "P.yaml"), (e: unknown) => e instanceof ConfigFileError && /^P\.yaml: is not valid YAML at line 1, column 10: /.test(e.message));
    // The line and column a user opens the file at.
    assert.throws(() => projectDefaults("config:\n  a: 1\n a: 2\n", "P.yaml"), { message: "P.yaml: is not valid YAML at line 3, column 1: All mapping items must start at the same column" });
  });
});

describe("stack files", () => {
  it("keep the project's namespace only, and secure values as objects", () => {
    const v = stackValues(["config:", "  postgres-images:registry: r:1", "  aws:region: x", "  postgres-images:cosignPassword:", "    secure: v1:abc"].join("\n"), "Pulumi.s.yaml");
    assert.deepEqual(v, { registry: "r:1", cosignPassword: { secure: "v1:abc" } });
  });
  it("may be empty", () => {
    assert.deepEqual(stackValues("", "Pulumi.s.yaml"), {});
  });
  it("must be a mapping", () => {
    assert.throws(() => stackValues("- a", "Pulumi.s.yaml"), /Pulumi\.s\.yaml: is not a YAML mapping/);
  });
});
