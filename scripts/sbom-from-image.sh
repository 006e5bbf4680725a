#!/usr/bin/env bash
# sbom-from-image.sh IMAGE_REF PLATFORM OUTFILE
#
# Writes an SPDX 2.3 JSON document (the predicate only, not an in-toto statement; suitable for
# `cosign attest --type spdxjson --predicate OUTFILE`) listing the image's dpkg packages and the Python
# distributions found as *.dist-info/METADATA or *.egg-info (Debian's dist-packages, /usr/local, /opt or a venv), each
# with a purl. It runs the image itself (`docker run --rm --platform PLATFORM --entrypoint sh`), so an
# arm64 image needs qemu binfmt on an amd64 host (scripts/e2e-env.sh up). The JSON is built and checked
# with python3 on the host; the image needs only sh and dpkg-query.
#
# Where syft is installed it writes the document instead (it catalogues more: binaries, language
# ecosystems): SBOM_GENERATOR=auto (default) uses syft when it is on PATH, =syft requires it, =dpkg
# always uses the built-in lister below. syft reads the image from the registry by itself.
#
# SOURCE_DATE_EPOCH, if set, becomes creationInfo.created (otherwise the current time); the document
# namespace is derived from the image, the platform and the package list, so the same image gives the
# same document apart from "created".
set -euo pipefail

die() { echo "sbom-from-image: ERROR: $*" >&2; exit 1; }
[[ $# -eq 3 ]] || { echo "usage: $0 IMAGE_REF PLATFORM OUTFILE" >&2; exit 2; }
IMAGE=$1 PLATFORM=$2 OUT=$3
[[ $PLATFORM =~ ^[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?$ ]] || die "PLATFORM must look like linux/arm64, got '$PLATFORM'"
PYTHON=$(command -v /usr/bin/python3 || command -v python3) || die "python3 is needed on the host"

GENERATOR=${SBOM_GENERATOR:-auto}
case $GENERATOR in
  auto) if command -v syft >/dev/null; then GENERATOR=syft; else GENERATOR=dpkg; fi ;;
  syft) command -v syft >/dev/null || die "SBOM_GENERATOR=syft, but syft is not on PATH" ;;
  dpkg) ;;
  *) die "SBOM_GENERATOR must be auto, syft or dpkg, got '$GENERATOR'" ;;
esac
if [[ $GENERATOR == syft ]]; then
  trap 'rm -f "$OUT.tmp"' EXIT
  syft "registry:$IMAGE" --platform "$PLATFORM" -o "spdx-json=$OUT.tmp" -q || die "syft could not scan $IMAGE ($PLATFORM)"
  "$PYTHON" - "$OUT.tmp" <<'PY' || die "syft did not write an SPDX 2 JSON document with packages"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert str(d.get("spdxVersion", "")).startswith("SPDX-2") and isinstance(d.get("packages"), list) and d["packages"]
PY
  mv "$OUT.tmp" "$OUT"
  echo "sbom-from-image: syft listed $("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$OUT") packages for $IMAGE ($PLATFORM)" >&2
  exit 0
fi

command -v docker >/dev/null || die "docker is needed on the host"

# Inside the image: sections separated by marker lines; tabs separate fields.
INNER='set -eu
command -v dpkg-query >/dev/null || { echo "no dpkg-query in the image" >&2; exit 3; }
echo "@@os"
( . /etc/os-release 2>/dev/null; printf "%s\t%s\t%s\n" "${ID:-}" "${VERSION_ID:-}" "${VERSION_CODENAME:-}" )
echo "@@dpkg"
dpkg-query -W -f "\${db:Status-Abbrev}\t\${Package}\t\${Version}\t\${Architecture}\t\${source:Package}\t\${source:Version}\n"
echo "@@python"
for d in /usr/lib/python3 /usr/local/lib /opt /venv /srv /root /home /var/lib/postgresql; do
  [ -d "$d" ] || continue
  find "$d" -xdev \( -path "*.dist-info/METADATA" -o -path "*.egg-info/PKG-INFO" -o -name "*.egg-info" \) -type f 2>/dev/null
done | sort -u | while read -r m; do
  name=$(sed -n "/^\$/q; s/^Name: *//p" "$m" | head -n1)
  version=$(sed -n "/^\$/q; s/^Version: *//p" "$m" | head -n1)
  loc=${m%/METADATA}; loc=${loc%/PKG-INFO}
  if [ -n "$name" ]; then printf "%s\t%s\t%s\n" "$name" "$version" "$loc"; fi
done
echo "@@end"'

RAW=$(mktemp); trap 'rm -f "$RAW" "$OUT.tmp"' EXIT
docker run --rm --network none --platform "$PLATFORM" --user 0 --entrypoint sh "$IMAGE" -c "$INNER" >"$RAW" \
  || die "cannot run $IMAGE for $PLATFORM (is it a Debian-based image, and is qemu registered for foreign platforms?)"
grep -qx '@@end' "$RAW" || die "incomplete package listing from $IMAGE ($PLATFORM)"

"$PYTHON" - "$IMAGE" "$PLATFORM" "$RAW" "$OUT.tmp" <<'PY'
import datetime, hashlib, json, os, re, sys, uuid
from urllib.parse import quote

image, platform, raw_path, out = sys.argv[1:5]
sections, cur = {}, None
for line in open(raw_path, encoding="utf-8", errors="replace").read().splitlines():
    if line.startswith("@@"):
        cur = line[2:]; sections[cur] = []; continue
    if cur and line:
        sections[cur].append(line.split("\t"))

os_id, os_version, os_codename = (sections.get("os") or [["debian", "", ""]])[0] + ["", ""][:3 - len((sections.get("os") or [[""]])[0])]
distro = f"{os_id or 'debian'}-{os_version}" if os_version else (os_id or "debian")

def pct(s):  # purl components: percent-encode everything but unreserved characters
    return quote(s, safe="")

def spdx_id(kind, name, n):
    return f"SPDXRef-Package-{kind}-{re.sub(r'[^A-Za-z0-9.-]', '-', name)}-{n}"

packages, n = [], 0
for f in sections.get("dpkg", []):
    if len(f) < 4 or not f[0].startswith("ii"):
        continue
    name, version, arch = f[1], f[2], f[3]
    src, src_version = (f[4] if len(f) > 4 else ""), (f[5] if len(f) > 5 else "")
    qual = [f"arch={pct(arch)}"]
    if src and (src != name or (src_version and src_version != version)):
        qual.append("upstream=" + pct(src + (f"@{src_version}" if src_version and src_version != version else "")))
    qual.append(f"distro={pct(distro)}")
    n += 1
    packages.append({
        "SPDXID": spdx_id("deb", name, n), "name": name, "versionInfo": version,
        "supplier": "NOASSERTION", "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": f"pkg:deb/{pct(os_id or 'debian')}/{pct(name)}@{pct(version)}?{'&'.join(qual)}"}],
    })
n_deb = n
seen = set()
for f in sections.get("python", []):
    if len(f) < 2 or not f[0]:
        continue
    name, version = f[0], f[1]
    norm = re.sub(r"[-_.]+", "-", name).lower()
    if (norm, version) in seen:
        continue
    seen.add((norm, version))
    n += 1
    packages.append({
        "SPDXID": spdx_id("python", norm, n), "name": name, "versionInfo": version or "NOASSERTION",
        "supplier": "NOASSERTION", "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
        "sourceInfo": "found at " + (f[2] if len(f) > 2 else "?"),
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": f"pkg:pypi/{pct(norm)}" + (f"@{pct(version)}" if version else "")}],
    })
if n_deb == 0:
    sys.exit("sbom-from-image: ERROR: no installed dpkg packages found")

listing = "\n".join(p["externalRefs"][0]["referenceLocator"] for p in packages)
doc_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"{image}|{platform}|{hashlib.sha256(listing.encode()).hexdigest()}")
sde = os.environ.get("SOURCE_DATE_EPOCH")
when = datetime.datetime.fromtimestamp(int(sde), datetime.timezone.utc) if sde else datetime.datetime.now(datetime.timezone.utc)

root = {"SPDXID": "SPDXRef-Image", "name": image, "versionInfo": platform, "primaryPackagePurpose": "CONTAINER",
        "supplier": "NOASSERTION", "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION"}
m = re.match(r"^(?P<repo>[^@]+?)(?::(?P<tag>[^/@:]+))?@(?P<digest>sha256:[0-9a-f]{64})$", image)
if m:
    repo = m.group("repo"); last = repo.rsplit("/", 1)[-1]
    root["externalRefs"] = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
        "referenceLocator": f"pkg:oci/{pct(last)}@{pct(m.group('digest'))}?repository_url={pct(repo)}&platform={pct(platform)}"}]

doc = {
    "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
    "name": f"{image} ({platform})",
    "documentNamespace": f"urn:uuid:{doc_uuid}",
    "creationInfo": {"created": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "creators": ["Tool: postgres-images-sbom-from-image-1"]},
    "packages": [root] + packages,
    "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"}]
                     + [{"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": p["SPDXID"]} for p in packages],
}
with open(out, "w", encoding="utf-8") as fh:
    json.dump(doc, fh, indent=1, sort_keys=False); fh.write("\n")

# Validate what was written: parseable JSON, required SPDX 2.3 fields, unique ids, every purl well formed.
d = json.load(open(out, encoding="utf-8"))
for k in ("spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo", "packages"):
    assert k in d, k
assert d["spdxVersion"] == "SPDX-2.3" and d["creationInfo"]["creators"] and d["creationInfo"]["created"].endswith("Z")
ids = [p["SPDXID"] for p in d["packages"]]
assert len(ids) == len(set(ids)), "duplicate SPDXIDs"
assert all(re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", i) for i in ids), "bad SPDXID"
for p in d["packages"]:
    for r in p.get("externalRefs", []):
        assert re.fullmatch(r"pkg:[a-z]+/[^\s]+", r["referenceLocator"]), r["referenceLocator"]
print(f"sbom-from-image: {n_deb} dpkg + {n - n_deb} python packages for {image} ({platform})", file=sys.stderr)
PY
mv "$OUT.tmp" "$OUT"
