import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { csvField, csvRecord, parseCsvRecord } from "../../lib/build/csv";

describe("CSV fields for buildx options", () => {
  it("leaves plain fields alone", () => {
    assert.equal(csvField("type=image"), "type=image");
    assert.equal(csvField("annotation-index.org.opencontainers.image.title=CloudNativePG PostgreSQL 17.11 minimal"), "annotation-index.org.opencontainers.image.title=CloudNativePG PostgreSQL 17.11 minimal");
    assert.equal(csvField(""), "");
  });
  it("quotes a field with a comma, a quote, a line break or a leading space, doubling inner quotes", () => {
    assert.equal(csvField("name=r:a,r:b"), '"name=r:a,r:b"');
    assert.equal(csvField('title=say "hi"'), '"title=say ""hi"""');
    assert.equal(csvField("a\nb"), '"a\nb"');
    assert.equal(csvField(" lead"), '" lead"');
  });
  it("reads back what it writes", () => {
    const fields = ["type=image", "name=r:a,r:b", 'x="quoted", too', "", "plain=1", " spaced"];
    assert.deepEqual(parseCsvRecord(csvRecord(fields)), fields);
  });
  it("rejects malformed quoting", () => {
    assert.throws(() => parseCsvRecord('"open'), SyntaxError);
    assert.throws(() => parseCsvRecord('"a"b'), SyntaxError);
    assert.throws(() => parseCsvRecord('a"b'), SyntaxError);
  });
});
