/** The last lines of `npm run up` (engine/run-report.ts): each failed resource with its reason, a lock's holder, the drifts a refresh found. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type * as auto from "@pulumi/pulumi/automation";
import { commandErrorLines, reasonOf, runReport } from "../../engine/run-report";

const URN = "urn:pulumi:dev::postgres-images::postgres-images:index:PostgresImage$pulumi-nodejs:dynamic:Resource::postgresql-17-standard-trixie-tags";

describe("run report", () => {
  it("a step's failure: the script's last stderr line, not the engine's wrapping", () => {
    assert.equal(reasonOf("postgresql-17-standard-trixie-tags: exited with status 1:\ntag: X already names sha256:b, and this build is sha256:a\n"), "tag: X already names sha256:b, and this build is sha256:a");
    assert.equal(reasonOf("error: docker-build: failed to solve: process did not complete successfully"), "docker-build: failed to solve: process did not complete successfully");
  });

  it("collects failures by resource and drifts from refresh outputs", () => {
    const r = runReport();
    r.onEvent({ sequence: 1, timestamp: 0, diagnosticEvent: { urn: URN, message: "postgresql-17-standard-trixie-tags: exited with status 1:\ntag: pushing X failed 3 times\n", color: "never", severity: "error" } });
    r.onEvent({ sequence: 2, timestamp: 0, diagnosticEvent: { urn: URN, message: "a warning", color: "never", severity: "warning" } });
    r.onEvent({ sequence: 3, timestamp: 0, resOutputsEvent: { metadata: { op: "update", urn: URN, type: "pulumi-nodejs:dynamic:Resource", provider: "", new: { outputs: { drift: "X is missing" } } } } } as unknown as auto.EngineEvent);
    assert.deepEqual([...r.failures], [["postgresql-17-standard-trixie-tags", "tag: pushing X failed 3 times"]]);
    assert.deepEqual([...r.drifts], [["postgresql-17-standard-trixie-tags", "X is missing"]]);
  });

  it("a step made of parts: a drift line per drifted part, and a failed part's own reason", () => {
    const r = runReport();
    const urn = URN.replace(/-tags$/, "-publish");
    r.onEvent({ sequence: 1, timestamp: 0, resOutputsEvent: { metadata: { op: "update", urn, type: "pulumi-nodejs:dynamic:Resource", provider: "", new: { outputs: { drift: { sign: "the registry holds no signature of R", "rolling-tags": "R:17 is missing" } } } } } } as unknown as auto.EngineEvent);
    r.onEvent({ sequence: 2, timestamp: 0, diagnosticEvent: { urn, message: "postgresql-17-standard-trixie-publish: sign: exited with status 1:\ncosign: no such key\n", color: "never", severity: "error" } });
    assert.deepEqual([...r.drifts], [
      ["postgresql-17-standard-trixie-publish: sign", "the registry holds no signature of R"],
      ["postgresql-17-standard-trixie-publish: rolling-tags", "R:17 is missing"],
    ]);
    assert.deepEqual([...r.failures], [["postgresql-17-standard-trixie-publish", "cosign: no such key"]]);
  });

  it("a CLI error: the error line and the lines under it (who holds the lock)", () => {
    const message = [
      "code: 255",
      " stdout: ",
      " stderr: error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      "  file:///s/.pulumi/locks/organization/postgres-images/dev/x.json: created by root@m (pid 42) at 2026-12-07T10:00:00Z",
      "  err?: Error: Command failed with exit code 1: pulumi refresh --skip-preview --yes",
      "",
    ].join("\n");
    assert.deepEqual(commandErrorLines(message), [
      "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      "file:///s/.pulumi/locks/organization/postgres-images/dev/x.json: created by root@m (pid 42) at 2026-12-07T10:00:00Z",
    ]);
  });
});
