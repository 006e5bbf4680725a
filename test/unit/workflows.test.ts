import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { mergeConfig, stackValues } from "../../lib/config/stack-file";
import { loadSettings } from "../../lib/load-settings";
import { ROOT, defaults } from "../helpers";

type Obj = Record<string, unknown>;

const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const workflows = files.map((f) => ({ file: f, text: readFileSync(join(WORKFLOWS, f), "utf8"), doc: parse(readFileSync(join(WORKFLOWS, f), "utf8")) as Obj }));
const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

function jobs(doc: Obj): [string, Obj][] {
  return Object.entries(doc.jobs as Record<string, Obj>);
}
function steps(job: Obj): Obj[] {
  return (job.steps as Obj[] | undefined) ?? [];
}
/** Every `run:` script of a workflow, with its job's name. */
function runs(doc: Obj): { job: string; run: string }[] {
  return jobs(doc).flatMap(([name, job]) => steps(job).filter((s) => typeof s.run === "string").map((s) => ({ job: name, run: s.run as string })));
}
function uses(doc: Obj): string[] {
  return jobs(doc).flatMap(([, job]) => [...(typeof job.uses === "string" ? [job.uses] : []), ...steps(job).flatMap((s) => (typeof s.uses === "string" ? [s.uses] : []))]);
}
/** Shell text with line continuations joined, so a command spread over lines reads as one. */
function joined(run: string): string {
  return run.replace(/\\\n\s*/g, " ");
}

/** Stacks a workflow creates on the fly: `--stack "$STACK"` of scripts/ci/stack.sh, named from the ci-matrix job matrix. */
const PER_MAJOR = /^(?:\$\{\{ env\.PULUMI_ORG \}\}\/)?\$\{\{ matrix\.(stack|promoteStack) \}\}$|^"?\$(?:PULUMI_ORG\/)?\$?STACK"?$|^"\$PULUMI_ORG\/\$STACK"$/;

describe("GitHub workflows", () => {
  it("exist: pull-request.yml, build.yml and update-versions.yml", () => {
    assert.deepEqual(files.sort(), ["build.yml", "pull-request.yml", "update-versions.yml"]);
  });

  // action-validator checks each file against SchemaStore's GitHub workflow schema.
  const validator = join(ROOT, "node_modules", ".bin", "action-validator");
  it("the schema linter rejects a malformed workflow (so its pass below means something)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgi-wf-"));
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n");
    const r = spawnSync(validator, [bad], { encoding: "utf8" });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /stepz/);
  });

  for (const { file, doc, text } of workflows) {
    describe(file, () => {
      it("passes action-validator (the GitHub workflow schema)", () => {
        const r = spawnSync(validator, [join(WORKFLOWS, file)], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      });

      it("has on, jobs, and each job runs-on with steps (or uses a reusable workflow)", () => {
        assert.ok(doc.on !== undefined, "on:");
        assert.ok(jobs(doc).length > 0, "jobs:");
        for (const [name, job] of jobs(doc)) {
          if (typeof job.uses === "string") continue;
          assert.ok(typeof job["runs-on"] === "string", `${name}: runs-on`);
          assert.ok(steps(job).length > 0, `${name}: steps`);
          for (const s of steps(job)) assert.ok(typeof s.run === "string" || typeof s.uses === "string", `${name}: a step with run or uses`);
        }
      });

      it("grants no permission by default, and each job only what it names", () => {
        assert.deepEqual(doc.permissions, {});
        for (const [name, job] of jobs(doc)) {
          const p = job.permissions as Record<string, string> | undefined;
          assert.ok(p && typeof p === "object", `${name}: permissions`);
          assert.equal(p.contents, "read", `${name}: contents: read`);
          for (const [scope, level] of Object.entries(p)) {
            assert.ok(["contents", "packages", "id-token"].includes(scope), `${name}: ${scope}`);
            if (level === "write") assert.ok(["packages", "id-token"].includes(scope) && file === "build.yml", `${name}: ${scope}: write`);
          }
        }
      });

      it("runs only npm scripts package.json has", () => {
        for (const { job, run } of runs(doc)) {
          for (const m of run.matchAll(/\bnpm (?:run(?:-script)?|test|start)\b(?:\s+--silent)?\s*([\w:-]*)/g)) {
            const name = m[0].startsWith("npm test") ? "test" : m[0].startsWith("npm start") ? "start" : m[1];
            assert.ok(name in scripts, `${job}: npm script ${name}`);
          }
          for (const m of run.matchAll(/\bnode\s+(dist\/[\w/.-]+)\.js\b/g)) {
            // Compiled by `npm ci` (prepare: npm run build) from the TypeScript source beside it.
            assert.ok(existsSync(join(ROOT, m[1].replace(/^dist\//, "") + ".ts")), `${job}: ${m[1]}.js has no source`);
          }
        }
      });

      it("names only stacks that have a stack file or are created per major", () => {
        const stacks: string[] = [];
        for (const { run } of runs(doc)) {
          for (const m of joined(run).matchAll(/--(?:stack|from|signing-from)[ =]("[^"]*"|\S+)/g)) stacks.push(m[1]);
        }
        for (const [, job] of jobs(doc)) for (const s of steps(job)) if (s.with && typeof (s.with as Obj)["stack-name"] === "string") stacks.push((s.with as Obj)["stack-name"] as string);
        // A workflow that runs Pulumi names its stacks.
        assert.ok(stacks.length > 0 || !/pulumi/i.test(text.replace(/Pulumi\.yaml/g, "")), "a Pulumi workflow names stacks");
        for (const s of stacks) {
          if (PER_MAJOR.test(s)) continue;
          const name = s.replace(/^"|"$/g, "");
          assert.ok(existsSync(join(ROOT, `Pulumi.${name}.yaml`)), `stack ${s}: Pulumi.${name}.yaml`);
        }
        // Per-major stacks exist only where scripts/ci/stack.sh prepares them first.
        if (/matrix\.(stack|promoteStack)/.test(text)) assert.match(text, /bash scripts\/ci\/stack\.sh /);
      });

      it("references only scripts that exist", () => {
        for (const { run } of runs(doc)) {
          for (const m of run.matchAll(/\b(scripts\/[\w/.-]+)/g)) assert.ok(existsSync(join(ROOT, m[1])), m[1]);
        }
      });

      it("pins every action by commit sha with its version, or by version", () => {
        const all = uses(doc);
        assert.ok(all.length > 0);
        for (const u of all) {
          if (u.startsWith("./")) continue;
          const m = /^([\w.-]+\/[\w./-]+)@(.+)$/.exec(u);
          assert.ok(m, `${u}: owner/repo@ref`);
          assert.match(m[2], /^([0-9a-f]{40}|v\d+(\.\d+){0,2})$/, `${u}: pinned`);
          if (/^[0-9a-f]{40}$/.test(m[2])) {
            // The version a sha stands for, for readers and for Renovate.
            const line = text.split("\n").find((l) => l.includes(u));
            assert.match(line ?? "", new RegExp(`${u.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} # v\\d+(\\.\\d+){0,2}\\s*$`), `${u}: # vX.Y.Z comment`);
          }
        }
        // One action, one version, everywhere.
        const byAction = new Map<string, Set<string>>();
        for (const u of all) byAction.set(u.split("@")[0], (byAction.get(u.split("@")[0]) ?? new Set()).add(u));
        for (const [a, v] of byAction) assert.equal(v.size, 1, `${a} at ${[...v].join(", ")}`);
      });

      it("passes matrix values to shell through env, never as ${{ }} inside run", () => {
        for (const { job, run } of runs(doc)) assert.doesNotMatch(run, /\$\{\{/, `${job}: expression inside run`);
      });
    });
  }

  describe("build.yml", () => {
    const build = workflows.find((w) => w.file === "build.yml")!.doc;
    const on = build.on as Obj;
    const job = (name: string) => (build.jobs as Record<string, Obj>)[name];

    it("runs on pushes to main, weekly, and by hand", () => {
      assert.deepEqual((on.push as Obj).branches, ["main"]);
      assert.match(((on.schedule as Obj[])[0].cron as string), /^\S+ \S+ \* \* [0-6]$/);
      assert.ok("workflow_dispatch" in on);
    });

    it("fans out one stack per major, each with its own concurrency group", () => {
      for (const name of ["build", "promote"]) {
        const j = job(name);
        assert.match(String((j.strategy as Obj).matrix), /fromJSON\(needs\.matrix\.outputs\.matrix\)/);
        assert.match(String((j.concurrency as Obj).group), /\$\{\{ matrix\.(stack|promoteStack) \}\}/);
        assert.equal((j.concurrency as Obj)["cancel-in-progress"], false, "never cancel an update mid-way");
      }
      assert.deepEqual(job("build").permissions, { contents: "read", packages: "write", "id-token": "write" });
      assert.deepEqual(job("promote").needs, ["matrix", "build"]);
      assert.match(String(job("promote").if), /refs\/heads\/main/);
    });

    it("every pulumi up reads the registry first (refresh) and goes on past a failed cell", () => {
      const ups = jobs(build).flatMap(([, j]) => steps(j)).filter((s) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@") && (s.with as Obj).command === "up");
      assert.equal(ups.length, 2, "build and promote");
      for (const s of ups) {
        assert.equal((s.with as Obj).refresh, true);
        assert.equal((s.env as Obj).PULUMI_CONTINUE_ON_ERROR, "true");
      }
    });

    it("passes the commit being built as the revision", () => {
      const prepare = steps(job("build")).find((s) => typeof s.run === "string" && s.run.includes("scripts/ci/stack.sh"))!;
      assert.match(prepare.run as string, /scripts\/ci\/stack\.sh [^\n]*--revision "\$GITHUB_SHA"/);
    });

    it("sets rebuildEpoch to the ISO week on the scheduled run", () => {
      const prepare = steps(job("build")).find((s) => typeof s.run === "string" && s.run.includes("scripts/ci/stack.sh"))!;
      assert.match(prepare.run as string, /GITHUB_EVENT_NAME" = schedule[\s\S]*--rebuild-epoch "\$\(date -u \+%G-W%V\)"/);
    });

    it("verifies the signer the stack files verify", () => {
      const env = build.env as Record<string, string>;
      for (const stack of ["testing", "production"]) {
        const file = join(ROOT, `Pulumi.${stack}.yaml`);
        const signing = stackValues(readFileSync(file, "utf8"), file).signing as { mode: string; verify: Record<string, string> };
        assert.equal(signing.mode, "keyless");
        assert.equal(signing.verify.identityRegexp, env.SIGNER_IDENTITY_REGEXP, stack);
        assert.equal(signing.verify.issuer, env.SIGNER_ISSUER, stack);
      }
      // The identity is this very workflow on main.
      assert.ok(new RegExp(env.SIGNER_IDENTITY_REGEXP).test("https://github.com/cloudnative-pg/postgres-images/.github/workflows/build.yml@refs/heads/main"));
      assert.ok(!new RegExp(env.SIGNER_IDENTITY_REGEXP).test("https://github.com/cloudnative-pg/postgres-images/.github/workflows/build.yml@refs/heads/feature"));
      assert.ok(!new RegExp(env.SIGNER_IDENTITY_REGEXP).test("https://github.com/cloudnative-pg/postgres-images/.github/workflows/pull-request.yml@refs/heads/main"));
    });

    it("publishes the catalogs of every production stack once all promoted, with a token for that repository only", () => {
      const j = job("catalogs");
      assert.deepEqual(j.needs, ["matrix", "promote"]);
      assert.match(String(j.if), /refs\/heads\/main/);
      assert.deepEqual(j.permissions, { contents: "read", "id-token": "write" }, "its own token cannot write; keyless signing");
      assert.equal((j.concurrency as Obj)["cancel-in-progress"], false);
      const all = steps(j);
      const checkouts = all.filter((s) => String(s.uses).startsWith("actions/checkout@"));
      assert.equal(checkouts.length, 2);
      assert.equal((checkouts[0].with as Obj)["persist-credentials"], false, "the project checkout keeps no credentials");
      const target = checkouts[1].with as Obj;
      assert.equal(target.repository, "${{ env.CATALOGS_REPOSITORY }}");
      assert.equal((j.env as Obj).CATALOGS_REPOSITORY, "cloudnative-pg/artifacts");
      assert.equal(target.token, "${{ secrets.CATALOGS_TOKEN }}");
      const publish = all.find((s) => typeof s.run === "string" && s.run.includes("scripts/ci/publish-catalogs.sh"))!;
      assert.equal((publish.env as Obj).MATRIX, "${{ needs.matrix.outputs.matrix }}");
      const run = joined(publish.run as string);
      assert.match(run, /jq -r '\.include\[\]\.promoteStack'/);
      assert.match(run, /--checkout \.catalogs-checkout\b/);
      assert.equal(target.path, ".catalogs-checkout");
      assert.match(run, /--signing-from production\b/);
      assert.match(run, /--certificate-identity-regexp "\$SIGNER_IDENTITY_REGEXP" --certificate-oidc-issuer "\$SIGNER_ISSUER"/);
      // The secret is used by the one step that needs it.
      assert.equal(workflows.find((w) => w.file === "build.yml")!.text.split("secrets.CATALOGS_TOKEN").length - 1, 1);
    });

    describe("syft, for the SBOMs every signing pulumi up attests", () => {
      const env = build.env as Record<string, string>;
      const text = workflows.find((w) => w.file === "build.yml")!.text;
      const installStep = (name: string) => {
        const all = steps(job(name));
        const i = all.findIndex((s) => typeof s.run === "string" && s.run.includes("github.com/anchore/syft/releases/download/"));
        const up = all.findIndex((s) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@") && (s.with as Obj).command === "up");
        assert.ok(i >= 0, `${name}: a step installs syft`);
        assert.ok(up > i, `${name}: syft is installed before pulumi up`);
        return all[i];
      };

      it("is pinned in SYFT_RELEASE for Renovate, at the version scripts/supply-chain.sh builds", () => {
        assert.equal(env.SYFT_RELEASE, "v1.57.2");
        assert.match(text, /^ {2}SYFT_RELEASE: v1\.57\.2 # renovate: datasource=github-releases depName=anchore\/syft$/m);
        const local = /^SYFT_VERSION=(v\S+)/m.exec(readFileSync(join(ROOT, "scripts", "supply-chain.sh"), "utf8"));
        assert.equal(local?.[1], "v1.57.2");
      });

      /**
       * Runs a job's install step as GitHub would (bash -e), with a fake curl serving a fake release: an
       * archive holding `syft` and the checksums file, its line for the archive correct unless spoiled.
       */
      const install = (name: string, checksums: "right" | "wrong" | "absent") => {
        const dir = mkdtempSync(join(tmpdir(), "pgi-syft-release-"));
        for (const d of ["bin", "release", "stage", "runner"]) mkdirSync(join(dir, d));
        writeFileSync(join(dir, "stage", "syft"), "#!/bin/sh\necho 'Version:       1.57.2'\n", { mode: 0o755 });
        writeFileSync(join(dir, "stage", "LICENSE"), "Apache-2.0\n");
        const archive = "syft_1.57.2_linux_amd64.tar.gz";
        const tar = spawnSync("tar", ["-czf", join(dir, "release", archive), "-C", join(dir, "stage"), "syft", "LICENSE"], { encoding: "utf8" });
        assert.equal(tar.status, 0, tar.stderr);
        const sum = createHash("sha256").update(readFileSync(join(dir, "release", archive))).digest("hex");
        const lines = [`${"0".repeat(64)}  syft_1.57.2_darwin_arm64.tar.gz`];
        if (checksums !== "absent") lines.push(`${checksums === "right" ? sum : "1".repeat(64)}  ${archive}`);
        writeFileSync(join(dir, "release", "syft_1.57.2_checksums.txt"), lines.join("\n") + "\n");
        writeFileSync(
          join(dir, "bin", "curl"),
          [
            "#!/bin/bash",
            'out="" url=""',
            'while [ $# -gt 0 ]; do case $1 in -o) out=$2; shift 2 ;; --retry) shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done',
            `echo "$url" >> "${dir}/urls"`,
            `case $url in https://github.com/anchore/syft/releases/download/v1.57.2/*) cp "${dir}/release/\${url##*/}" "$out" ;; *) exit 22 ;; esac`,
            "",
          ].join("\n"),
          { mode: 0o755 },
        );
        const r = spawnSync("bash", ["-e", "-c", installStep(name).run as string], {
          encoding: "utf8",
          cwd: dir,
          env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, SYFT_RELEASE: env.SYFT_RELEASE, RUNNER_TEMP: join(dir, "runner"), GITHUB_PATH: join(dir, "github_path") },
        });
        const path = existsSync(join(dir, "github_path")) ? readFileSync(join(dir, "github_path"), "utf8") : "";
        return { ...r, path, urls: existsSync(join(dir, "urls")) ? readFileSync(join(dir, "urls"), "utf8") : "" };
      };

      for (const name of ["build", "promote"]) {
        it(`${name}: downloads the release archive and checksums at SYFT_RELEASE and puts syft on GITHUB_PATH`, () => {
          const r = install(name, "right");
          assert.equal(r.status, 0, r.stderr);
          assert.equal(
            r.urls,
            "https://github.com/anchore/syft/releases/download/v1.57.2/syft_1.57.2_linux_amd64.tar.gz\n" +
              "https://github.com/anchore/syft/releases/download/v1.57.2/syft_1.57.2_checksums.txt\n",
          );
          assert.match(r.stdout, /^syft_1\.57\.2_linux_amd64\.tar\.gz: OK$/m);
          const dirs = r.path.trimEnd().split("\n");
          assert.equal(dirs.length, 1);
          assert.deepEqual(readdirSync(dirs[0]), ["syft"], "only the binary on PATH");
          assert.match(spawnSync(join(dirs[0], "syft"), ["version"], { encoding: "utf8" }).stdout, /Version: +1\.57\.2/);
          assert.match(installStep(name).run as string, /sha256sum --check --ignore-missing /);
        });

        it(`${name}: stops, with nothing on PATH, when the archive does not match the checksums`, () => {
          const r = install(name, "wrong");
          assert.notEqual(r.status, 0);
          assert.match(r.stdout + r.stderr, /syft_1\.57\.2_linux_amd64\.tar\.gz: FAILED/);
          assert.equal(r.path, "");
        });

        it(`${name}: stops, with nothing on PATH, when the checksums do not list the archive`, () => {
          const r = install(name, "absent");
          assert.notEqual(r.status, 0);
          assert.match(r.stderr, /no file was verified/);
          assert.equal(r.path, "");
        });
      }
    });

    it("promotes from the testing stack that Pulumi.production.yaml names", () => {
      const file = join(ROOT, "Pulumi.production.yaml");
      const promoteFrom = stackValues(readFileSync(file, "utf8"), file).promoteFrom;
      assert.equal(promoteFrom, `${(build.env as Obj).PULUMI_ORG as string}/postgres-images/testing`);
    });
  });

  it("pull-request.yml previews without the engine's intermediate snapshots (a preview writes no state)", () => {
    const pr = workflows.find((w) => w.file === "pull-request.yml")!.doc;
    const previews = jobs(pr).flatMap(([, j]) => steps(j)).filter((s) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@") && (s.with as Obj).command === "preview");
    assert.equal(previews.length, 1);
    assert.equal((previews[0].env as Obj | undefined)?.PULUMI_SKIP_CHECKPOINTS, "true");
  });
});

describe("stack files", () => {
  const load = (stack: string, extra: Obj = {}) => {
    const file = join(ROOT, `Pulumi.${stack}.yaml`);
    return loadSettings(mergeConfig(defaults(), { ...stackValues(readFileSync(file, "utf8"), file), ...extra }));
  };

  it("testing and production validate, and pick their repositories", () => {
    assert.equal(load("testing").repository, "ghcr.io/cloudnative-pg/postgresql-testing");
    const production = load("production");
    assert.equal(production.repository, "ghcr.io/cloudnative-pg/postgresql");
    assert.equal(production.promoteFrom, "cloudnative-pg/postgres-images/testing");
  });

  it("the per-major stacks CI derives from them validate", () => {
    const t = load("testing", { targets: ["postgresql-19beta3-*"], rebuildEpoch: "2026-W48" });
    assert.deepEqual(t.targets, ["postgresql-19beta3-*"]);
    const p = load("production", { targets: ["postgresql-17-*"], promoteFrom: "cloudnative-pg/postgres-images/testing-17" });
    assert.equal(p.promoteFrom, "cloudnative-pg/postgres-images/testing-17");
  });
});

/** A directory with fake `pulumi`, `docker` and `cosign` on PATH that log their arguments. */
function fakeTools(): { dir: string; bin: string; log: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), "pgi-ci-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "calls.log");
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\nprintf '%s\\n' "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool(
    "pulumi",
    [
      'case "$1 $2" in',
      '  "stack select") if [ "$3" = --create ] || [[ " ${FAKE_STACKS-} " == *" $3 "* ]]; then exit 0; else exit 1; fi ;;',
      '  "config refresh") [ -n "${FAKE_EPOCH-}" ] ;;',
      '  "config get") echo "${FAKE_EPOCH-}" ;;',
      "esac",
    ].join("\n"),
  );
  tool("docker", 'case "$*" in *sha256:bad*) echo "exec failed"; exit 1 ;; *) echo "postgres (PostgreSQL) 17.11 (Debian 17.11-1.pgdg13+1)" ;; esac');
  tool("cosign", 'case "$*" in *sha256:bbbb*) echo "no signatures found" >&2; exit 10 ;; esac');
  return { dir, bin, log, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, GITHUB_OUTPUT: join(dir, "output") } };
}

describe("update-versions.yml", () => {
  const wf = workflows.find((w) => w.file === "update-versions.yml")!;
  it("runs weekly on Mondays and by hand", () => {
    const on = wf.doc.on as Obj;
    assert.deepEqual(on.schedule, [{ cron: "17 6 * * 1" }]);
    assert.ok("workflow_dispatch" in on);
  });
  it("rewrites Pulumi.yaml with npm run update-versions and proposes it as a pull request", () => {
    const [job] = jobs(wf.doc).map(([, j]) => j);
    const script = steps(job).map((s) => (typeof s.run === "string" ? s.run : "")).join("\n");
    assert.match(script, /npm run --silent update-versions/);
    assert.match(script, /git diff --quiet -- Pulumi\.yaml/);
    assert.match(script, /gh pr create --head "\$branch"/);
    // A pull request opened with the workflow's own token would start no pull-request workflow.
    assert.match(wf.text, /GH_TOKEN: \$\{\{ secrets\.UPDATE_VERSIONS_TOKEN \}\}/);
  });
});

describe("scripts/ci/stack.sh", () => {
  const project = () => {
    const t = fakeTools();
    for (const f of ["Pulumi.yaml", "Pulumi.testing.yaml", "Pulumi.production.yaml"]) copyFileSync(join(ROOT, f), join(t.dir, f));
    return t;
  };
  const stackSh = (t: ReturnType<typeof fakeTools>, args: string[], env: Record<string, string> = {}) =>
    spawnSync("bash", [join(ROOT, "scripts", "ci", "stack.sh"), ...args], { cwd: t.dir, env: { ...t.env, ...env }, encoding: "utf8" });

  it("creates the stack from the template with its targets and a new epoch", () => {
    const t = project();
    const r = stackSh(t, ["--from", "testing", "--stack", "testing-17", "--org", "cloudnative-pg", "--targets", "postgresql-17-*", "--rebuild-epoch", "2026-W48"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(t.dir, "Pulumi.testing-17.yaml"), "utf8"), readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8"));
    const calls = readFileSync(t.log, "utf8");
    assert.match(calls, /^pulumi stack select --create cloudnative-pg\/testing-17$/m);
    assert.match(calls, /^pulumi config set --stack cloudnative-pg\/testing-17 --path postgres-images:targets\[0\] postgresql-17-\*$/m);
    assert.match(calls, /^pulumi config set --stack cloudnative-pg\/testing-17 postgres-images:rebuildEpoch 2026-W48$/m);
    assert.doesNotMatch(calls, /config refresh/, "a given epoch needs no look back");
    assert.doesNotMatch(calls, /revision/, "no revision given, none set");
    assert.equal(readFileSync(join(t.dir, "output"), "utf8"), "exists=true\n");
  });

  it("keeps the epoch of the last deployment when none is given", () => {
    const t = project();
    const r = stackSh(t, ["--from", "production", "--stack", "production-17", "--targets", "postgresql-17-*", "--promote-from", "cloudnative-pg/postgres-images/testing-17"], {
      FAKE_STACKS: "production-17",
      FAKE_EPOCH: "2026-W47",
    });
    assert.equal(r.status, 0, r.stderr);
    const calls = readFileSync(t.log, "utf8");
    assert.match(calls, /^pulumi config refresh --stack production-17 --force$/m);
    assert.match(calls, /^pulumi config set --stack production-17 postgres-images:rebuildEpoch 2026-W47$/m);
    assert.match(calls, /^pulumi config set --stack production-17 postgres-images:promoteFrom cloudnative-pg\/postgres-images\/testing-17$/m);
  });

  it("sets the revision it is given", () => {
    const t = project();
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const r = stackSh(t, ["--from", "testing", "--stack", "testing-17", "--targets", "postgresql-17-*", "--revision", sha, "--rebuild-epoch", "2026-W48"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(t.log, "utf8"), new RegExp(`^pulumi config set --stack testing-17 postgres-images:revision ${sha}$`, "m"));
  });

  it("with --no-create, leaves a missing stack alone", () => {
    const t = project();
    const r = stackSh(t, ["--from", "testing", "--stack", "testing-17", "--targets", "postgresql-17-*", "--no-create"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "exists=false\n");
    assert.ok(!existsSync(join(t.dir, "Pulumi.testing-17.yaml")));
    assert.doesNotMatch(readFileSync(t.log, "utf8"), /--create|config set/);
  });

  const bad: [string, string[], RegExp][] = [
    ["a shell character in a stack", ["--from", "testing", "--stack", "testing-17;id", "--targets", "postgresql-17-*"], /--stack 'testing-17;id' is not a stack name/],
    ["targets that are no glob", ["--from", "testing", "--stack", "testing-17", "--targets", "$(id)"], /--targets '\$\(id\)' is not a cell glob/],
    ["a missing template", ["--from", "staging", "--stack", "staging-17", "--targets", "postgresql-17-*"], /Pulumi\.staging\.yaml does not exist/],
    ["the template as target", ["--from", "testing", "--stack", "testing", "--targets", "postgresql-17-*"], /must differ/],
    ["a bad epoch", ["--from", "testing", "--stack", "testing-17", "--targets", "postgresql-17-*", "--rebuild-epoch", "2026 W48"], /--rebuild-epoch/],
    ["a revision that is no commit id", ["--from", "testing", "--stack", "testing-17", "--targets", "postgresql-17-*", "--revision", "main;id"], /--revision 'main;id' is not a full git commit id/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what}`, () => {
      const t = project();
      const r = stackSh(t, args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(t.log), "pulumi not called");
    });
  }
});

describe("scripts/ci/publish-catalogs.sh", () => {
  const checkout = mkdtempSync(join(tmpdir(), "pgi-artifacts-"));
  mkdirSync(join(checkout, ".git"));
  const ok = ["--checkout", checkout, "--folder", "image-catalogs", "--signing-from", "production", "--stack", "o/postgres-images/production-17"];
  const keyless = ["--certificate-identity-regexp", "^x$", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
  const bad: [string, string[], RegExp][] = [
    ["a folder that is not a git checkout", ["--checkout", tmpdir(), ...ok.slice(2), ...keyless], /--checkout '.*' is not a git checkout/],
    ["a folder outside the checkout", [...ok.slice(0, 3), "../elsewhere", ...ok.slice(4), ...keyless], /--folder '\.\.\/elsewhere' is not a relative folder/],
    ["an absolute folder", [...ok.slice(0, 3), "/etc", ...ok.slice(4), ...keyless], /--folder '\/etc' is not a relative folder/],
    ["a signing stack that is not a name", [...ok.slice(0, 5), "a;b", ...ok.slice(6), ...keyless], /--signing-from 'a;b' is not a stack name/],
    ["no stack", [...ok.slice(0, 6), ...keyless], /give at least one --stack/],
    ["no signer to verify", ok, /give --certificate-identity-regexp and --certificate-oidc-issuer, or --key/],
    ["an issuer that is not https", [...ok, "--certificate-identity-regexp", "x", "--certificate-oidc-issuer", "http://x"], /is not an https URL/],
    ["ignoring the log for keyless", [...ok, ...keyless, "--insecure-ignore-tlog"], /--insecure-ignore-tlog is for --key only/],
    ["a project folder without Pulumi.yaml", [...ok, ...keyless, "--dir", tmpdir()], /--dir '.*' has no Pulumi\.yaml/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} before running anything`, () => {
      const t = fakeTools();
      const r = spawnSync("bash", [join(ROOT, "scripts", "ci", "publish-catalogs.sh"), ...args], { env: t.env, encoding: "utf8", cwd: ROOT });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(existsSync(t.log), false, "no tool called");
    });
  }
});

describe("scripts/ci/smoke.sh", () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const images = (refs: Record<string, string>) =>
    JSON.stringify(Object.fromEntries(Object.entries(refs).map(([cell, ref]) => [cell, { digest: ref.split("@")[1], ref, tags: [], platforms: ["linux/amd64", "linux/arm64"] }])));
  const smoke = (input: string, args: string[]) => {
    const t = fakeTools();
    const r = spawnSync("bash", [join(ROOT, "scripts", "ci", "smoke.sh"), ...args], { input, env: t.env, encoding: "utf8" });
    return { ...r, calls: existsSync(t.log) ? readFileSync(t.log, "utf8") : "" };
  };
  const keyless = ["--certificate-identity-regexp", "^https://github\\.com/x$", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];

  it("runs postgres --version on each platform asked for and verifies each digest", () => {
    const ref = `ghcr.io/cloudnative-pg/postgresql-testing@${digest("a")}`;
    const r = smoke(images({ "postgresql-17-minimal-trixie": ref }), ["--platform", "linux/amd64", "--platform", "linux/arm64", ...keyless]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.calls, new RegExp(`^docker run --rm --pull always --platform linux/arm64 ${ref.replace(/[.]/g, "\\.")} postgres --version$`, "m"));
    assert.match(r.calls, /^cosign verify --certificate-identity-regexp \^https:\/\/github\\\.com\/x\$ --certificate-oidc-issuer https:\/\/token\.actions\.githubusercontent\.com ghcr\.io\S+$/m);
    assert.match(r.stdout, /1 cells, 0 failures/);
  });

  it("fails when a signature does not verify, after checking every cell", () => {
    const r = smoke(
      images({ "postgresql-17-minimal-trixie": `localhost:5000/postgresql-testing@${digest("b")}`, "postgresql-17-standard-trixie": `localhost:5000/postgresql-testing@${digest("a")}` }),
      ["--no-run", "--key", "cosign.pub"],
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /FAIL postgresql-17-minimal-trixie: cosign verify/);
    assert.match(r.stdout, /2 cells, 1 failures/);
    assert.doesNotMatch(r.calls, /^docker/m);
  });

  const bad: [string, string, RegExp][] = [
    ["empty input", "", /nothing on stdin/],
    ["not the images object", "[1,2]", /not a non-empty \{CELL: \{ref: \.\.\.\}\} object/],
    ["a tag instead of a digest", images({ "postgresql-17-minimal-trixie": "ghcr.io/x/postgresql-testing:17" }), /is not REPOSITORY@sha256/],
    ["an option look-alike", images({ "postgresql-17-minimal-trixie": `--privileged@${digest("a")}` }), /is not REPOSITORY@sha256/],
    ["a bad cell name", images({ "x;id": `ghcr.io/x/y@${digest("a")}` }), /cell name 'x;id'/],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what} before running anything`, () => {
      const r = smoke(input, keyless);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.equal(r.calls, "");
    });
  }
});
