/** The stamp command under mocks: its script is the guarded one, its environment names the cell's timestamped tag. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { STAMP_SCRIPT } from "../../lib/build/stamp-command";
import { byName, COMMAND_TYPE, evaluate, scriptName, GOLDEN_TIME, IMAGE_TYPE } from "./harness";

describe("stamp command", () => {
  it("gets the prefix and suffix of exactly the timestamped tag its tag step pins", async () => {
    const run = await evaluate(
      {
        registry: "registry.internal:5000/pg",
        postgresVersions: ["17.11"],
        previewVersions: ["19~beta3"],
        imageTypes: ["minimal", "system"],
        bases: ["debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241"],
        signing: { mode: "none" },
      },
      { clock: GOLDEN_TIME },
    );
    assert.ok(run.ok, run.error?.message);
    const commands = byName(run, COMMAND_TYPE);
    const images = byName(run, IMAGE_TYPE);
    assert.equal(images.size, 4);
    for (const [name, image] of images) {
      const stamp = commands.get(`${name}-built-at`)!;
      assert.equal(scriptName(stamp), STAMP_SCRIPT);
      const env = stamp.inputs.environment as Record<string, string>;
      const timestamped = `${env.STAMP_TAG_PREFIX}202611020830${env.STAMP_TAG_SUFFIX}`;
      // The Image is pushed by digest only; the tag step gives the digest its tags and pins the timestamped one.
      assert.ok(!("tags" in image.inputs), name);
      const tagEnv = commands.get(`${name}-tags`)!.inputs.environment as Record<string, string>;
      assert.deepEqual(tagEnv.TAGS.split("\n").filter((t) => /-\d{12}-/.test(t)), [timestamped], name);
      assert.equal(tagEnv.PINNED_TAG, timestamped, name);
    }
  });
});
