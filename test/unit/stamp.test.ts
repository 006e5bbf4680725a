import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseStamp, stampOf, stampTag } from "../../lib/matrix/stamp";

describe("stamps", () => {
  it("formats whole seconds in UTC", () => {
    assert.equal(stampOf(new Date(Date.UTC(2026, 10, 2, 8, 30, 0, 999))), "2026-11-02T08:30:00Z");
  });
  it("reads RFC 3339, offsets and epoch seconds to the same instant", () => {
    for (const t of ["2026-11-02T08:30:00Z", "2026-11-02T09:30:00+01:00", "2026-11-02T08:30:00.123Z", "1793608200", " 1793608200\n"]) {
      assert.equal(parseStamp(t), "2026-11-02T08:30:00Z", t);
    }
  });
  it("rejects what is not a time", () => {
    for (const t of ["", "now", "2026-11-02", "2026-11-02T08:30:00", "2026-13-02T08:30:00Z", "-5"]) assert.throws(() => parseStamp(t), RangeError, t);
  });
  it("gives the tag form of the same minute", () => {
    assert.equal(stampTag(parseStamp("2026-01-05T23:59:59Z")), "202601052359");
  });
});
