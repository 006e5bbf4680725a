import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, defaults } from "../helpers";

/** The parts of renovate.json this test reads; Renovate's own schema is larger. */
interface CustomManager {
  customType: string;
  description?: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  matchStringsStrategy?: "any" | "recursive" | "combination";
  datasourceTemplate?: string;
  depNameTemplate?: string;
  registryUrlTemplate?: string;
  extractVersionTemplate?: string;
  versioningTemplate?: string;
}

interface Dep {
  depName: string;
  currentValue: string;
  currentDigest?: string;
  datasource: string;
  registryUrl?: string;
}

const config = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8")) as Record<string, unknown>;
const managers = config.customManagers as CustomManager[];
const pulumiYaml = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");

/** Renovate's `/regex/flags` string-pattern form → RegExp. */
function patternRegExp(pattern: string): RegExp {
  const m = /^\/(.*)\/([i]?)$/.exec(pattern);
  assert.ok(m, `${pattern} is not in Renovate's /regex/ form`);
  return new RegExp(m[1], m[2]);
}

/** Renovate's RE2 syntax, as far as these patterns use it, is JS syntax; RE2 lacks lookaround and backreferences. */
function matchRegExp(source: string): RegExp {
  assert.doesNotMatch(source, /\(\?<?[=!]|\\[1-9]|\\k</, `RE2 has no lookaround or backreferences: ${source}`);
  return new RegExp(source, "g");
}

/** `{{{name}}}` / `{{name}}` templates filled from the match's groups, as Renovate's handlebars would. */
function fill(template: string, groups: Record<string, string | undefined>): string {
  return template.replace(/\{\{\{?(\w+)\}?\}\}/g, (_, name: string) => {
    const v = groups[name];
    assert.ok(v !== undefined, `template ${template} names group ${name}, which the regexes do not capture`);
    return v;
  });
}

function allMatches(re: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    assert.ok(m[0].length > 0, `${re.source} matched the empty string: Renovate would loop`);
    out.push(m);
  }
  return out;
}

/** What Renovate's regex manager extracts from one file (strategies "any" and "recursive", as in its source). */
function extract(manager: CustomManager, text: string): Dep[] {
  const regexes = manager.matchStrings.map(matchRegExp);
  const found: Record<string, string | undefined>[] = [];
  if ((manager.matchStringsStrategy ?? "any") === "recursive") {
    const walk = (content: string, i: number, groups: Record<string, string | undefined>): void => {
      if (i === regexes.length) {
        found.push(groups);
        return;
      }
      for (const m of allMatches(regexes[i], content)) walk(m[0], i + 1, { ...groups, ...m.groups });
    };
    walk(text, 0, {});
  } else {
    assert.equal(manager.matchStringsStrategy ?? "any", "any");
    for (const re of regexes) for (const m of allMatches(re, text)) found.push({ ...m.groups });
  }
  return found.map((g) => {
    const dep: Dep = {
      depName: manager.depNameTemplate ? fill(manager.depNameTemplate, g) : (g.depName ?? ""),
      currentValue: g.currentValue ?? "",
      datasource: manager.datasourceTemplate ? fill(manager.datasourceTemplate, g) : (g.datasource ?? ""),
    };
    if (g.currentDigest !== undefined) dep.currentDigest = g.currentDigest;
    if (manager.registryUrlTemplate) dep.registryUrl = fill(manager.registryUrlTemplate, g);
    return dep;
  });
}

function managerFor(description: RegExp): CustomManager {
  const found = managers.filter((m) => description.test(m.description ?? ""));
  assert.equal(found.length, 1, `one custom manager described ${description}`);
  return found[0];
}

describe("renovate.json", () => {
  it("parses, and has the shape Renovate's schema asks of custom managers", () => {
    assert.equal(config.$schema, "https://docs.renovatebot.com/renovate-schema.json");
    assert.ok(Array.isArray(config.extends) && config.extends.every((e) => typeof e === "string"));
    assert.ok(managers.length >= 4);
    const allowed = new Set([
      "customType",
      "description",
      "managerFilePatterns",
      "matchStrings",
      "matchStringsStrategy",
      "datasourceTemplate",
      "depNameTemplate",
      "packageNameTemplate",
      "registryUrlTemplate",
      "extractVersionTemplate",
      "versioningTemplate",
      "currentValueTemplate",
    ]);
    for (const m of managers) {
      for (const k of Object.keys(m)) assert.ok(allowed.has(k), `custom manager field ${k}`);
      assert.equal(m.customType, "regex");
      assert.ok(m.matchStrings.length > 0);
      m.managerFilePatterns.forEach(patternRegExp);
      // Every dependency needs a datasource and a name: from a template or a capture group.
      const sources = m.matchStrings.join("");
      assert.ok(m.datasourceTemplate || sources.includes("(?<datasource>"), `${m.description}: datasource`);
      assert.ok(m.depNameTemplate || sources.includes("(?<depName>"), `${m.description}: depName`);
      assert.ok(sources.includes("(?<currentValue>"), `${m.description}: currentValue`);
      if (m.extractVersionTemplate) assert.match(m.extractVersionTemplate, /\(\?<version>/);
    }
    const rules = config.packageRules as Record<string, unknown>[];
    assert.ok(rules.some((r) => r.groupName === "Debian base images" && JSON.stringify(r.matchUpdateTypes) === '["digest"]'));
  });

  it("every custom manager reads Pulumi.yaml and the stack files", () => {
    for (const m of managers.filter((x) => !x.managerFilePatterns.some((p) => p.includes("workflows") || p.includes("scripts")))) {
      for (const file of ["Pulumi.yaml", "Pulumi.testing.yaml", "Pulumi.production.yaml", "Pulumi.dev.yaml", "Pulumi.testing-17.yaml"]) {
        assert.ok(m.managerFilePatterns.some((p) => patternRegExp(p).test(file)), `${m.description} reads ${file}`);
      }
      assert.ok(!m.managerFilePatterns.some((p) => patternRegExp(p).test("package.json")));
    }
  });

  it("leaves postgresVersions to npm run update-versions (postgresql.org), with no manager of its own", () => {
    assert.deepEqual(managers.filter((m) => /postgresVersions/.test(m.matchStrings.join(" "))), []);
  });

  it("finds each default previewVersions entry in its major's PGDG component", () => {
    const previews = defaults().previewVersions as string[];
    const deps = extract(managerFor(/^previewVersions/), pulumiYaml);
    assert.deepEqual(
      deps.map((d) => [d.depName, d.currentValue, d.registryUrl?.includes(`components=${d.depName.slice("postgresql-".length)}&`)]),
      previews.map((v) => [`postgresql-${v.split("~")[0]}`, v, true]),
    );
    assert.equal(new RegExp(managerFor(/^previewVersions/).extractVersionTemplate ?? "").exec("19~rc1-1.pgdg13+1")?.groups?.version, "19~rc1");
  });

  it("finds the 2 default bases with their digests, and no other image", () => {
    const bases = defaults().bases as string[];
    assert.equal(bases.length, 2);
    const deps = extract(managerFor(/^bases/), pulumiYaml);
    assert.deepEqual(
      deps.map((d) => `${d.depName}:${d.currentValue}@${d.currentDigest ?? ""}`),
      bases,
    );
    assert.ok(deps.every((d) => d.datasource === "docker"));
  });

  it("finds barmanVersion, and only it", () => {
    const deps = extract(managerFor(/^barmanVersion/), pulumiYaml);
    assert.deepEqual(deps, [{ depName: "barman", currentValue: defaults().barmanVersion, datasource: "pypi" }]);
  });

  it("finds the same keys in a stack file's layout", () => {
    const stack = [
      "config:",
      "  postgres-images:postgresVersions:",
      '    - "17.11"',
      "    - 18.6",
      "  postgres-images:previewVersions: []",
      "  postgres-images:bases:",
      `    - "debian:trixie-slim@sha256:${"a".repeat(64)}"`,
      '  postgres-images:barmanVersion: "3.19.1"',
      "  postgres-images:platforms:",
      "    - linux/amd64",
      "",
    ].join("\n");
    assert.deepEqual(extract(managerFor(/^previewVersions/), stack), []);
    assert.deepEqual(extract(managerFor(/^bases/), stack).map((d) => d.currentDigest), [`sha256:${"a".repeat(64)}`]);
    assert.deepEqual(extract(managerFor(/^barmanVersion/), stack).map((d) => d.currentValue), ["3.19.1"]);
  });

  it("bumps a preview inside its quotes, and leaves an unquoted one alone", () => {
    const stack = ["config:", "  postgres-images:previewVersions:", '    - "19~beta3"', "    - 20~beta1", ""].join("\n");
    const manager = managerFor(/^previewVersions/);
    const [outer, inner] = manager.matchStrings.map(matchRegExp);
    const entries = allMatches(inner, allMatches(outer, stack)[0][0]);
    assert.deepEqual(entries.map((m) => m[0].trim()), ['- "19~beta3"']);
    // Renovate's regex manager writes the new value in place of currentValue: the quotes stay.
    assert.equal(entries[0][0].replace(entries[0].groups!.currentValue, "19~rc1").trim(), '- "19~rc1"');
  });

  it("finds the tools the workflows pin with a renovate comment", () => {
    const build = readFileSync(join(ROOT, ".github", "workflows", "build.yml"), "utf8");
    const deps = extract(managerFor(/^Tools the workflows install/), build);
    assert.deepEqual(deps, [
      { depName: "sigstore/cosign", currentValue: "v3.1.3", datasource: "github-releases" },
      { depName: "anchore/syft", currentValue: "v1.57.2", datasource: "github-releases" },
      { depName: "aquasecurity/trivy", currentValue: "v0.74.0", datasource: "github-releases" },
    ]);
  });

  it("finds the syft and cosign scripts/supply-chain.sh builds and the trivy scripts/scanner.sh builds, as the same dependencies as the workflow's, so one pull request moves both", () => {
    const manager = managerFor(/^Tools scripts\/supply-chain\.sh and scripts\/scanner\.sh build/);
    assert.ok(manager.managerFilePatterns.some((p) => patternRegExp(p).test("scripts/supply-chain.sh")));
    assert.ok(!manager.managerFilePatterns.some((p) => patternRegExp(p).test("scripts/builder.sh")));
    const script = readFileSync(join(ROOT, "scripts", "supply-chain.sh"), "utf8");
    assert.deepEqual(extract(manager, script), [
      { depName: "anchore/syft", currentValue: "v1.57.2", datasource: "github-releases" },
      { depName: "sigstore/cosign", currentValue: "v3.1.3", datasource: "github-releases" },
    ]);
    // The value Renovate rewrites is the one the script builds.
    const m = allMatches(matchRegExp(manager.matchStrings[0]), script)[0];
    assert.equal(m[0].replace(m.groups!.currentValue, "v1.58.0").trim(), "SYFT_VERSION=v1.58.0 # renovate: datasource=github-releases depName=anchore/syft");
    const build = readFileSync(join(ROOT, ".github", "workflows", "build.yml"), "utf8");
    const sorted = (deps: { depName: string }[]) => [...deps].sort((a, b) => a.depName.localeCompare(b.depName));
    const scanner = readFileSync(join(ROOT, "scripts", "scanner.sh"), "utf8");
    assert.ok(manager.managerFilePatterns.some((p) => patternRegExp(p).test("scripts/scanner.sh")));
    assert.deepEqual(extract(manager, scanner), [{ depName: "aquasecurity/trivy", currentValue: "v0.74.0", datasource: "github-releases" }]);
    assert.deepEqual(sorted(extract(managerFor(/^Tools the workflows install/), build)), sorted([...extract(manager, script), ...extract(manager, scanner)]));
  });
});
