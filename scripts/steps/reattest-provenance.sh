#!/usr/bin/env bash
# Promotion re-attests the build's provenance with the production identity: the SLSA v1 predicate is read
# from the testing image SOURCE_REF with `cosign verify-attestation` against the testing signer (TESTING_…
# values, lib/cosign.sh verify_flags), so only a provenance the testing stack signed is carried over; its
# statement must be about IMAGE_REF's digest (the copy is byte for byte), and `cosign attest` signs it again.
set -eu
# shellcheck source=lib/cosign.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cosign.sh"
signer_flags
verify_flags TESTING_
statements="$tmp/statements.jsonl"
predicate="$tmp/predicate.json"
cosign verify-attestation "${VERIFY[@]}" --type slsaprovenance1 "$SOURCE_REF" >"$statements"
# One DSSE envelope per line (a bundle's is under dsseEnvelope); node is the program's own runtime.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
const fs = require("fs");
const [file, out, ref] = process.argv.slice(1);
const digest = ref.slice(ref.lastIndexOf("@sha256:") + 8);
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  if (line.trim() === "") continue;
  const j = JSON.parse(line);
  const s = JSON.parse(Buffer.from((j.dsseEnvelope || j).payload, "base64").toString("utf8"));
  if (s.predicateType === "https://slsa.dev/provenance/v1" && (s.subject || []).some((x) => x.digest && x.digest.sha256 === digest)) {
    fs.writeFileSync(out, JSON.stringify(s.predicate));
    process.exit(0);
  }
}
console.error("attest-provenance: " + ref + " has no SLSA v1 provenance about its digest, signed by the testing signer, to attest again (was it attested where it was built?)");
process.exit(1);' "$statements" "$predicate" "$IMAGE_REF"
cosign attest "${SIGNER[@]}" --type slsaprovenance1 --predicate "$predicate" "$IMAGE_REF"
