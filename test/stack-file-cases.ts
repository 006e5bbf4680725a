/**
 * Stack files a person writes by mistake (and a few written right), as YAML text. Each row is checked
 * through the real `targets` process (test/unit/stack-files.test.ts) and, on the real Pulumi CLI's view
 * of the same file, through the program (test/e2e/cli-config.test.ts): both must give the same one line,
 * or both accept the file.
 *
 * `error`: the single line expected on stderr. `accepts`: text the bake JSON must then contain.
 */
export interface StackFileCase {
  readonly name: string;
  /** The whole stack file. */
  readonly yaml: string;
  readonly error?: RegExp;
  readonly accepts?: readonly string[];
  /** Text that must appear nowhere in the output (a secret). */
  readonly hidden?: string;
}

const NS = "postgres-images";
/** A stack file with these lines under `config:` (two-space indented already). */
function config(...lines: string[]): string {
  return ["config:", ...lines.map((l) => `  ${l}`), ""].join("\n");
}
const KEY = `${NS}:signing: {mode: key, key: cosign.key`;

export const STACK_FILE_CASES: readonly StackFileCase[] = [
  // 1. Unquoted versions are numbers.
  { name: "an unquoted 17.10", yaml: config(`${NS}:postgresVersions: [17.10]`), error: /^postgres-images:postgresVersions\[0\]: 17\.10 is a YAML number, not a string; quote it: "17\.10"$/ },
  { name: "an unquoted 18.10 after a quoted version", yaml: config(`${NS}:postgresVersions: ["17.11", 18.10]`), error: /^postgres-images:postgresVersions\[1\]: 18\.10 is a YAML number, not a string; quote it: "18\.10"$/ },
  { name: "18.10 unquoted beside a quoted 18.1: the number, not a duplicate", yaml: config(`${NS}:postgresVersions: [18.10, "18.1"]`), error: /^postgres-images:postgresVersions\[0\]: 18\.10 is a YAML number/ },
  { name: "an unquoted version in a block list", yaml: config(`${NS}:postgresVersions:`, "  - \"16.15\"", "  - 17.10"), error: /^postgres-images:postgresVersions\[1\]: 17\.10 is a YAML number/ },
  { name: "a major alone, unquoted", yaml: config(`${NS}:postgresVersions: [17]`), error: /^postgres-images:postgresVersions\[0\]: 17 is a YAML number, not a string/ },
  { name: "a preview major, unquoted", yaml: config(`${NS}:previewVersions: [19]`), error: /^postgres-images:previewVersions\[0\]: 19 is a YAML number/ },
  { name: "a boolean image type", yaml: config(`${NS}:imageTypes: [minimal, true]`), error: /^postgres-images:imageTypes\[1\]: true is a YAML boolean, not a string; quote it: "true"$/ },
  { name: "a null platform", yaml: config(`${NS}:platforms: [linux/amd64, ~]`), error: /^postgres-images:platforms\[1\]: \(empty\) is an empty YAML value; write the item as a quoted string or remove it$/ },
  { name: "an empty list item", yaml: config(`${NS}:extensions:`, "  - pgvector", "  -"), error: /^postgres-images:extensions\[1\]: \(empty\) is an empty YAML value/ },
  { name: "a null base", yaml: config(`${NS}:bases: [null]`), error: /^postgres-images:bases\[0\]: \(empty\) is an empty YAML value/ },
  { name: "a numeric target", yaml: config(`${NS}:targets: [17]`), error: /^postgres-images:targets\[0\]: 17 is a YAML number/ },
  { name: "a version list written as one number", yaml: config(`${NS}:postgresVersions: 17.10`), error: /^postgres-images:postgresVersions: 17\.10 is a YAML number, which Pulumi does not pass on as written; quote it: "17\.10"$/ },
  { name: "a quoted 17.10 is 17.10", yaml: config(`${NS}:postgresVersions: ["17.10"]`, `${NS}:previewVersions: []`), accepts: ['"PG_VERSION": "17.10"'] },
  { name: "a list given as JSON text", yaml: config(`${NS}:postgresVersions: '["18.10"]'`, `${NS}:previewVersions: []`), accepts: ['"PG_VERSION": "18.10"'] },
  { name: "a quoted version twice", yaml: config(`${NS}:postgresVersions: ["17.10", "17.10"]`), error: /^postgres-images:postgresVersions\[1\]: "17\.10" is listed twice/ },
  { name: "two versions of one major", yaml: config(`${NS}:postgresVersions: ["17.10", "17.11"]`), error: /^postgres-images:postgresVersions: "17\.11" is a second version of major 17/ },
  { name: "a version with a trailing space", yaml: config(`${NS}:postgresVersions: ["17.10 "]`), error: /^postgres-images:postgresVersions: "17\.10 " is not a stable release/ },

  // 2. Signing is never off by accident.
  { name: "signing with nothing after it", yaml: config(`${NS}:environment: production`, `${NS}:signing:`), error: /^postgres-images:signing: "" is empty; expected \{mode: keyless, \.\.\.\}, \{mode: key, key: \.\.\.\}, or \{mode: none\} to push unsigned images$/ },
  { name: "signing as an empty string", yaml: config(`${NS}:signing: ""`), error: /^postgres-images:signing: "" is empty/ },
  { name: "signing as ~", yaml: config(`${NS}:signing: ~`), error: /^postgres-images:signing: "" is empty/ },
  { name: "signing as an empty map", yaml: config(`${NS}:signing: {}`), error: /^postgres-images:signing\.mode: \(missing\) is not a signing mode; expected one of keyless, key, none$/ },
  { name: "signing as a word", yaml: config(`${NS}:signing: none`), error: /^postgres-images:signing: "none" is not an object/ },
  { name: "an explicit mode none in production", yaml: config(`${NS}:environment: production`, `${NS}:signing: {mode: none}`), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "a key with mode none", yaml: config(`${NS}:signing: {mode: none, key: cosign.key}`), error: /^postgres-images:signing\.key: "cosign\.key" does not apply to mode none; remove it/ },
  { name: "verify with mode none", yaml: config(`${NS}:signing: {mode: none, verify: {publicKey: cosign.pub}}`), error: /^postgres-images:signing\.verify: .* does not apply to mode none/ },
  { name: "fulcioUrl with mode key", yaml: config(`${KEY}, fulcioUrl: "https://fulcio.example"}`), error: /^postgres-images:signing\.fulcioUrl: "https:\/\/fulcio\.example" does not apply to mode key/ },
  { name: "a key with mode keyless", yaml: config(`${NS}:signing: {mode: keyless, key: cosign.key}`), error: /^postgres-images:signing\.key: "cosign\.key" does not apply to mode keyless/ },
  { name: "an identity regexp that does not compile", yaml: config(`${NS}:signing: {mode: keyless, verify: {identityRegexp: "(", issuer: "https://token.actions.githubusercontent.com"}}`), error: /^postgres-images:signing\.verify\.identityRegexp: "\(" is not a regular expression/ },
  { name: "an identity regexp with lookahead (not Go's syntax)", yaml: config(`${NS}:signing: {mode: keyless, verify: {identityRegexp: "^(?=x)", issuer: "https://token.actions.githubusercontent.com"}}`), error: /^postgres-images:signing\.verify\.identityRegexp: .* uses lookaround or a backreference/ },
  { name: "a key that looks like an option", yaml: config(`${NS}:signing: {mode: key, key: --insecure-skip-verify}`), error: /^postgres-images:signing\.key: "--insecure-skip-verify" is not a cosign key/ },
  { name: "a public key that looks like an option", yaml: config(`${KEY}, verify: {publicKey: "--x"}}`), error: /^postgres-images:signing\.verify\.publicKey: "--x" is not a public key/ },
  { name: "a keyless identity under mode key", yaml: config(`${KEY}, verify: {publicKey: cosign.pub, identity: me@example.com}}`), error: /^postgres-images:signing\.verify\.identity: "me@example\.com" is not a verify setting of mode key/ },
  { name: "tlogUpload: no (a string in YAML 1.2)", yaml: config(`${KEY}, tlogUpload: no}`), error: /^postgres-images:signing\.tlogUpload: "no" is not a boolean/ },
  { name: "tlogUpload: False", yaml: config(`${KEY}, tlogUpload: False}`), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "an unknown signing field", yaml: config(`${KEY}, keyfile: x}`), error: /^postgres-images:signing\.keyfile: "x" is not a signing setting/ },

  // 3., 4. Registries and cache repositories need a host.
  { name: "a registry without a host", yaml: config(`${NS}:registry: cloudnative-pg`), error: /^postgres-images:registry: "cloudnative-pg" is not a registry: it starts with "cloudnative-pg", which is not a registry host .* Docker Hub is written docker\.io\/NAMESPACE/ },
  { name: "a registry that is a port number", yaml: config(`${NS}:registry: 5000`), error: /^postgres-images:registry: "5000" is not a registry: it starts with "5000", which is not a registry host/ },
  { name: "Docker Hub without a namespace", yaml: config(`${NS}:registry: docker.io`), error: /^postgres-images:registry: "docker\.io" is not a registry: it names Docker Hub without a namespace/ },
  { name: "Docker Hub with a namespace", yaml: config(`${NS}:registry: docker.io/my-org`), accepts: ['"docker.io/my-org/postgresql-testing:17-minimal-trixie"'] },
  { name: "a registry on localhost", yaml: config(`${NS}:registry: localhost:5000`), accepts: ['"localhost:5000/postgresql-testing:17-minimal-trixie"'] },
  { name: "a 64-character host label", yaml: config(`${NS}:registry: ${"a".repeat(64)}.example.com`), error: /^postgres-images:registry: "a{64}\.example\.com" is not a registry: it has a host name label of 64 characters; a label has at most 63/ },
  { name: "a 100,000-character registry", yaml: config(`${NS}:registry: registry.example.com/${"a".repeat(100_000)}`), error: /^postgres-images:registry: "registry\.example\.com\/a+\.\.\. is not a registry: it is 100021 characters long/ },
  { name: "a registry port out of range", yaml: config(`${NS}:registry: localhost:99999`), error: /^postgres-images:registry: "localhost:99999" is not a registry: it has port 99999/ },
  { name: "a registry with a scheme", yaml: config(`${NS}:registry: https://ghcr.io/org`), error: /^postgres-images:registry: "https:\/\/ghcr\.io\/org" is not a registry/ },
  { name: "a registry in upper case", yaml: config(`${NS}:registry: GHCR.io/Org`), error: /^postgres-images:registry: "GHCR\.io\/Org" is not a registry: it has upper-case letters/ },
  { name: "a cache repository that is only a host and port", yaml: config(`${NS}:cacheRepository: localhost:5000`), error: /^postgres-images:cacheRepository: "localhost:5000" is not a repository: it has no repository path; expected localhost:5000\/NAME/ },
  { name: "a cache repository that is only a host", yaml: config(`${NS}:cacheRepository: ghcr.io`), error: /^postgres-images:cacheRepository: "ghcr\.io" is not a repository: it has no repository path/ },
  { name: "a cache repository with a path", yaml: config(`${NS}:cacheRepository: localhost:5000/cache`), accepts: ['"postgresql-17-minimal-trixie"'] },

  // 8. One line for one problem.
  { name: "an empty registry", yaml: config(`${NS}:registry:`), error: /^postgres-images:registry: "" is empty; expected lower-case HOST/ },
  { name: "a registry that is a list", yaml: config(`${NS}:registry: [ghcr.io/org]`), error: /^postgres-images:registry: \["ghcr\.io\/org"\] is a list, not a string/ },
  { name: "a registry that is a map", yaml: config(`${NS}:registry: {host: ghcr.io}`), error: /^postgres-images:registry: \{"host":"ghcr\.io"\} is a map, not a string/ },

  // 5. Scalars YAML would convert: taken as written or refused, never changed.
  { name: "revision 12345e7", yaml: config(`${NS}:revision: 12345e7`), error: /^postgres-images:revision: 12345e7 is a YAML number, which Pulumi does not pass on as written; quote it: "12345e7"$/ },
  { name: "revision 7e12345 (too big to be a number: text)", yaml: config(`${NS}:revision: 7e12345`), accepts: ['"org.opencontainers.image.revision": "7e12345"'] },
  { name: "revision 0x1F", yaml: config(`${NS}:revision: 0x1F`), error: /^postgres-images:revision: 0x1F is a YAML number/ },
  { name: "revision 007", yaml: config(`${NS}:revision: 007`), error: /^postgres-images:revision: 007 is a YAML number/ },
  { name: "revision 1_000", yaml: config(`${NS}:revision: 1_000`), error: /^postgres-images:revision: 1_000 is a YAML number/ },
  { name: "revision True", yaml: config(`${NS}:revision: True`), error: /^postgres-images:revision: True is a YAML boolean, which Pulumi does not pass on as written/ },
  { name: "revision .inf", yaml: config(`${NS}:revision: .inf`), error: /^postgres-images:revision: \.inf is a YAML number/ },
  { name: "revision 2026 (an integer, kept as written)", yaml: config(`${NS}:revision: 2026`), accepts: ['"org.opencontainers.image.revision": "2026"'] },
  { name: "rebuildEpoch 2026.10", yaml: config(`${NS}:rebuildEpoch: 2026.10`), error: /^postgres-images:rebuildEpoch: 2026\.10 is a YAML number, which Pulumi does not pass on as written; quote it: "2026\.10"$/ },
  { name: "rebuildEpoch quoted", yaml: config(`${NS}:rebuildEpoch: "2026.10"`), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "barmanVersion 3.19", yaml: config(`${NS}:barmanVersion: 3.19`), error: /^postgres-images:barmanVersion: 3\.19 is a YAML number/ },
  { name: "a build arg 1.10", yaml: config(`${NS}:buildArgs: {PG_BUILD: 1.10}`), error: /^postgres-images:buildArgs\.PG_BUILD: 1\.10 is a YAML number, which Pulumi does not pass on as written; quote it: "1\.10"$/ },
  { name: "a build arg 1", yaml: config(`${NS}:buildArgs: {PG_BUILD: 1}`), accepts: ['"PG_BUILD": "1"'] },
  { name: "a build arg the matrix sets", yaml: config(`${NS}:buildArgs: {PG_MAJOR: "16"}`), error: /^postgres-images:buildArgs: "PG_MAJOR" is set by the matrix itself/ },
  { name: "build args as a list", yaml: config(`${NS}:buildArgs: [a]`), error: /^postgres-images:buildArgs: \["a"\] is not a map/ },

  // 9. Keys.
  { name: "a key without the namespace is the project's (as the CLI reads it)", yaml: config("registry: localhost:5000"), accepts: ['"localhost:5000/postgresql-testing:17-minimal-trixie"'] },
  { name: "a misspelt key", yaml: config(`${NS}:registy: localhost:5000`), error: /^postgres-images:registy: "localhost:5000" is not a configuration key of postgres-images/ },
  { name: "a misspelt key without the namespace", yaml: config("registy: localhost:5000"), error: /^postgres-images:registy: "localhost:5000" is not a configuration key/ },
  { name: "another namespace's key", yaml: config("aws:region: eu-west-1"), accepts: ['"postgresql-17-minimal-trixie"'] },
  {
    name: "merge keys are applied",
    yaml: ["shared: &shared", `  ${NS}:registry: localhost:5000/merged`, "config:", "  <<: *shared", `  ${NS}:revision: abc`, ""].join("\n"),
    accepts: ['"localhost:5000/merged/postgresql-testing:17-minimal-trixie"'],
  },
  { name: "an explicit key wins over a merged one", yaml: ["base: &b", `  ${NS}:registry: localhost:5000/merged`, "config:", "  <<: *b", `  ${NS}:registry: localhost:5000/own`, ""].join("\n"), accepts: ['"localhost:5000/own/postgresql-testing:'] },
  { name: "a merge key inside signing", yaml: ["k: &k {key: cosign.key}", "config:", `  ${NS}:signing: {mode: key, <<: *k}`, ""].join("\n"), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "a key given twice", yaml: config(`${NS}:registry: a.example`, `${NS}:registry: b.example`), error: /^.*Pulumi\.bad\.yaml: is not valid YAML at line 3, column 3: Map keys must be unique/ },
  { name: "a plain-text cosign password", yaml: config(`${NS}:cosignPassword: hunter2-plain`), error: /^postgres-images:cosignPassword: \(value not shown\) is set in plain text in Pulumi\.bad\.yaml; set it with pulumi config set --secret cosignPassword$/, hidden: "hunter2-plain" },

  // The file itself.
  { name: "an empty stack file", yaml: "", accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "config: with nothing", yaml: "config:\n", accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "config as a list", yaml: "config:\n  - a\n", error: /Pulumi\.bad\.yaml: has a config: block that is not a mapping$/ },
  { name: "not YAML", yaml: "config:\n  a: [\n", error: /Pulumi\.bad\.yaml: is not valid YAML/ },
  { name: "a top-level list", yaml: "- config\n", error: /Pulumi\.bad\.yaml: is not a YAML mapping$/ },

  // 10., and other values.
  { name: "the file system root as the context", yaml: config(`${NS}:context: /`), error: /^postgres-images:context: "\/" is the file system root/ },
  { name: "a context that looks like an option", yaml: config(`${NS}:context: --file=x`), error: /^postgres-images:context: "--file=x" is not a build context path/ },
  { name: "targets: a glob not anchored at the start matches nothing", yaml: config(`${NS}:targets: ["17-minimal-trixie"]`), error: /^postgres-images:targets: "17-minimal-trixie" matches no cell/ },
  { name: "targets as one string", yaml: config(`${NS}:targets: postgresql-17-*`), error: /^postgres-images:targets: "postgresql-17-\*" is not a list/ },
  { name: "no image types", yaml: config(`${NS}:imageTypes: []`), error: /^postgres-images:imageTypes: \[\] is empty/ },
  { name: "an environment in capitals", yaml: config(`${NS}:environment: Production`), error: /^postgres-images:environment: "Production" is not an environment/ },
  { name: "promoteFrom on a testing stack", yaml: config(`${NS}:promoteFrom: testing`), error: /^postgres-images:promoteFrom: "testing" is set on a "testing" stack/ },
  { name: "a date where a revision belongs (kept as text)", yaml: config(`${NS}:revision: 2026-02-30`), accepts: ['"org.opencontainers.image.revision": "2026-02-30"'] },

  // 11. The scan gate: off only as an explicit mode none; allow-list dates as written.
  { name: "scanGate with nothing after it", yaml: config(`${NS}:scanGate:`), error: /^postgres-images:scanGate: "" is empty; expected .*, or \{mode: none\} to turn the gate off$/ },
  { name: "scanGate as a word", yaml: config(`${NS}:scanGate: off`), error: /^postgres-images:scanGate: "off" is not an object; expected \{mode: enforce\|none, severity, ignoreUnfixed, allow\}$/ },
  { name: "scanGate mode none", yaml: config(`${NS}:scanGate: {mode: none}`), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "scanGate mode none with a severity", yaml: config(`${NS}:scanGate: {mode: none, severity: HIGH}`), error: /^postgres-images:scanGate\.severity: "HIGH" does not apply to mode none, which turns the gate off; remove it, or remove mode: none to enforce the gate$/ },
  { name: "scanGate with a severity alone (enforced)", yaml: config(`${NS}:scanGate: {severity: HIGH}`), accepts: ['"postgresql-17-minimal-trixie"'] },
  { name: "scanGate with a severity in lower case", yaml: config(`${NS}:scanGate: {severity: high}`), error: /^postgres-images:scanGate\.severity: "high" is not a severity; expected one of LOW, MEDIUM, HIGH, CRITICAL/ },
  { name: "scanGate ignoreUnfixed: no (a string in YAML 1.2)", yaml: config(`${NS}:scanGate: {ignoreUnfixed: no}`), error: /^postgres-images:scanGate\.ignoreUnfixed: "no" is not a boolean/ },
  {
    name: "an unquoted allow-list expiry (a string to YAML 1.2, a timestamp of that day to the CLI)",
    yaml: config(`${NS}:scanGate:`, "  allow:", "    - id: CVE-2026-12345", '      reason: "not reachable: the server never calls it"', "      expires: 2099-12-31"),
    accepts: ['"postgresql-17-minimal-trixie"'],
  },
  { name: "an allow-list expiry that is no day of the calendar", yaml: config(`${NS}:scanGate: {allow: [{id: CVE-2026-12345, reason: r, expires: 2099-02-30}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.expires: "2099-02-30" is not a day of the calendar/ },
  { name: "an allow-list expiry in the past", yaml: config(`${NS}:scanGate: {allow: [{id: CVE-2026-12345, reason: r, expires: 2020-01-01}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.expires: "2020-01-01" is in the past \(today is \d{4}-\d{2}-\d{2}, UTC\); renew the entry/ },
  { name: "an allow-list expiry written as a number", yaml: config(`${NS}:scanGate: {allow: [{id: CVE-2026-12345, reason: r, expires: 20991231}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.expires: 20991231 is a number, not a date/ },
  { name: "an allow-list expiry YAML reads as a float", yaml: config(`${NS}:scanGate: {allow: [{id: CVE-2026-12345, reason: r, expires: 2099.10}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.expires: 2099\.10 is a YAML number, which Pulumi does not pass on as written; quote it: "2099\.10"$/ },
  { name: "an allow-list entry without a reason", yaml: config(`${NS}:scanGate: {allow: [{id: CVE-2026-12345, expires: 2099-12-31}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.reason: \(missing\) is not set/ },
  { name: "an allow-list id in lower case", yaml: config(`${NS}:scanGate: {allow: [{id: cve-2026-12345, reason: r, expires: 2099-12-31}]}`), error: /^postgres-images:scanGate\.allow\[0\]\.id: "cve-2026-12345" is not a vulnerability id/ },
];
