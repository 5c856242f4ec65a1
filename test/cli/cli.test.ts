import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, cli, readTree, ROOT, run, tmpTree } from "../helpers.js";

const SPEC = "image: myorg/app\ntest: npm test\n";
const WITH_DEPLOY = SPEC + "deploy:\n  rules:\n    - branch: main\n      tags: [latest]\n";
const dirs: string[] = [];
const repo = (files: Record<string, string>) => {
  const d = tmpTree({ Dockerfile: "FROM scratch\n", ...files });
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("generate", () => {
  it("writes the config and executable scripts, then nothing when up to date", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    const r = cli(["generate"], d);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("created .circleci/config.yml");
    const config = join(d, ".circleci/config.yml");
    expect(readFileSync(config, "utf8")).toMatch(/^# gen-circle: generated from gen-circle.yml/);
    expect(statSync(join(d, ".circleci/gen-circle/test.sh")).mode & 0o111).not.toBe(0);
    const before = statSync(config).mtimeMs;
    const again = cli(["generate"], d);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("up to date");
    expect(statSync(config).mtimeMs).toBe(before);
  });

  it("refuses to overwrite a hand-edited file without --force, and writes nothing", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    cli(["generate"], d);
    const script = join(d, ".circleci/gen-circle/test.sh");
    writeFileSync(script, readFileSync(script, "utf8") + "echo my tweak\n");
    writeFileSync(join(d, "gen-circle.yml"), SPEC.replace("npm test", "make test"));
    const configBefore = readFileSync(join(d, ".circleci/config.yml"), "utf8");
    const r = cli(["generate"], d);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(".circleci/gen-circle/test.sh: edited by hand");
    expect(readFileSync(script, "utf8")).toContain("echo my tweak");
    expect(readFileSync(join(d, ".circleci/config.yml"), "utf8")).toBe(configBefore);
    const forced = cli(["generate", "--force"], d);
    expect(forced.status).toBe(0);
    expect(readFileSync(script, "utf8")).not.toContain("echo my tweak");
  });

  it("refuses to replace a config it did not write", () => {
    const d = repo({ "gen-circle.yml": SPEC, ".circleci/config.yml": "version: 2.1\n" });
    const r = cli(["generate"], d);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not written by gen-circle");
    expect(readFileSync(join(d, ".circleci/config.yml"), "utf8")).toBe("version: 2.1\n");
  });

  it("removes scripts the spec no longer generates", () => {
    const d = repo({ "gen-circle.yml": WITH_DEPLOY });
    cli(["generate"], d);
    expect(existsSync(join(d, ".circleci/gen-circle/deploy.sh"))).toBe(true);
    writeFileSync(join(d, "gen-circle.yml"), SPEC);
    const check = cli(["check"], d);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain(".circleci/gen-circle/deploy.sh:1:1 error GC5002: orphan");
    const r = cli(["generate"], d);
    expect(r.stderr).toContain("removed .circleci/gen-circle/deploy.sh");
    expect(existsSync(join(d, ".circleci/gen-circle/deploy.sh"))).toBe(false);
  });

  it("--dry-run prints the diff and writes nothing", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    const r = cli(["generate", "--dry-run"], d);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("+++ b/.circleci/config.yml");
    expect(existsSync(join(d, ".circleci"))).toBe(false);
  });

  it("invalid spec: exit 2, file:line:col diagnostics, nothing written", () => {
    const d = repo({ "gen-circle.yml": "image: myorg/app\ntest:\n  comand: x\n" });
    const r = cli(["generate"], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gen-circle.yml:3:3 error GC1002: Unknown key 'comand' in 'test'. Did you mean 'command'\?/m);
    expect(existsSync(join(d, ".circleci"))).toBe(false);
  });

  it("--json prints the diagnostics as JSON", () => {
    const d = repo({ "gen-circle.yml": "image: Bad Name\n" });
    const r = cli(["validate", "--json"], d);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout) as { diagnostics: { code: string; line: number; column: number; file: string }[] };
    expect(out.diagnostics[0]).toMatchObject({ code: "GC1010", line: 1, column: 8, file: "gen-circle.yml" });
  });

  it("a hash input that matches nothing on disk is an error", () => {
    const d = repo({ "gen-circle.yml": "image:\n  name: a/b\n  hash: [Dockerfile, 'requirements/*.txt']\n" });
    const r = cli(["validate"], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("gen-circle.yml:3:22 error GC1014");
  });
});

describe("check", () => {
  it("passes when in sync; fails with a diff on drift, hand edits and missing files", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    cli(["generate"], d);
    expect(cli(["check"], d).status).toBe(0);

    writeFileSync(join(d, "gen-circle.yml"), SPEC.replace("npm test", "make test"));
    const drift = cli(["check"], d);
    expect(drift.status).toBe(1);
    expect(drift.stderr).toMatch(/^\.circleci\/gen-circle\/test\.sh:\d+:1 error GC5004: out of date with the spec$/m);
    expect(drift.stdout).toMatch(/^\+.*make test/m);
    writeFileSync(join(d, "gen-circle.yml"), SPEC);

    const lib = join(d, ".circleci/gen-circle/lib.sh");
    writeFileSync(lib, readFileSync(lib, "utf8").replace("gc_log()", "gc_log2()"));
    const edited = cli(["check"], d);
    expect(edited.status).toBe(1);
    expect(edited.stderr).toMatch(/^\.circleci\/gen-circle\/lib\.sh:\d+:1 error GC5003: edited by hand$/m);
    expect(edited.stderr).toContain("'gen-circle generate --force' to replace .circleci/gen-circle/lib.sh");

    rmSync(lib);
    const missing = cli(["check"], d);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(".circleci/gen-circle/lib.sh:1:1 error GC5001: missing");
    expect(readTree(d)["gen-circle.yml"]).toBe(SPEC); // check writes nothing
  });

  it("exit 2 on an invalid spec", () => {
    const d = repo({ "gen-circle.yml": "image: [\n" });
    expect(cli(["check"], d).status).toBe(2);
  });

  it("the output does not depend on the folder it runs from: headers name the spec from the project root", () => {
    const d = repo({ "app/gen-circle.yml": SPEC, "app/Dockerfile": "FROM scratch\n", "app/sub/x": "" });
    const gen = cli(["generate", "--dir", "app"], d);
    expect(gen.status, gen.stderr).toBe(0);
    expect(readFileSync(join(d, "app/.circleci/config.yml"), "utf8")).toMatch(/^# gen-circle: generated from gen-circle\.yml;/);
    for (const [cwd, args] of [
      [d, ["check", "--dir", "app"]],
      [join(d, "app"), ["check"]],
      [join(d, "app/sub"), ["check", "--dir", ".."]],
      [join(d, "app/sub"), ["check", "--dir", "..", "--spec", "gen-circle.yml"]],
    ] as const) {
      const r = cli([...args], cwd);
      expect(r.status, `${cwd} ${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});

describe("command line", () => {
  it.each(["init", "generate", "check", "validate", "hash", "run", "migrate"])("%s --help shows examples", (cmd) => {
    const r = cli([cmd, "--help"], ".");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Examples:");
  });

  it("--version prints the package's version", () => {
    const r = cli(["--version"], ".");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`gen-circle ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
  });

  it("usage errors exit 2", () => {
    const noBranch = cli(["run", "--branch"], ".");
    expect(noBranch.status).toBe(2);
    expect(noBranch.stderr).toContain("--branch needs a value, e.g. --branch main");
    expect(cli(["frobnicate"], ".").status).toBe(2);
    expect(cli([], ".").status).toBe(2);
    expect(cli(["generate", "--bogus"], ".").status).toBe(2);
  });

  it.each([
    [["generate", "--spec", "folder"], /folder:1:1 error GC1028: this is a folder, not a file/],
    [["migrate", "folder"], /folder:1:1 error GC1028: this is a folder, not a file/],
    [["migrate", "nope.yml"], /nope.yml:1:1 error GC1028: no such file/],
  ])("%j: exit 2 with file:line:col", (args, message) => {
    const d = repo({ "folder/x": "" });
    const r = cli(args, d);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(d, ".circleci"))).toBe(false);
  });

  it("a Dockerfile or context that is not there: exit 2 at its position, nothing written", () => {
    const d = repo({ "gen-circle.yml": "image:\n  name: myorg/app\n  dockerfile: docker/Dockerfile\n" });
    const r = cli(["validate"], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/gen-circle.yml:3:15 error GC1029: No Dockerfile at "docker\/Dockerfile"/);
    expect(cli(["generate"], d).status).toBe(2);
    expect(existsSync(join(d, ".circleci"))).toBe(false);
  });

  it("init follows the Dockerfile; generate and check warn when the hash misses what it copies before installing", () => {
    const d = repo({
      Dockerfile: "FROM python:3.12\nCOPY requirements/ /srv/requirements/\nRUN pip install -r /srv/requirements/test.txt\nCOPY . /srv/app\n",
      "requirements/base.txt": "flask\n",
      "requirements/test.txt": "-r base.txt\n",
    });
    expect(cli(["init"], d).status).toBe(0);
    expect(readFileSync(join(d, "gen-circle.yml"), "utf8")).toContain("hash: [Dockerfile, requirements]");
    const clean = cli(["generate"], d);
    expect(clean.status).toBe(0);
    expect(clean.stderr).not.toContain("GC1031");
    writeFileSync(join(d, "gen-circle.yml"), "image:\n  name: acme/app\n  hash: [Dockerfile, requirements/base.txt]\ntest: pytest\n");
    const gen = cli(["generate"], d);
    expect(gen.status).toBe(0); // a warning: the pipeline is still written
    expect(gen.stderr).toMatch(
      /gen-circle\.yml:3:9 warning GC1031: Dockerfile copies "requirements" before its install step, but the hash does not cover requirements\/test\.txt/,
    );
    const check = cli(["check"], d);
    expect(check.status).toBe(0);
    expect(check.stderr).toContain("warning GC1031");
  });

  it("run right after generate, before committing: exit 2 saying to commit or pass --dirty, nothing run", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    const git = (...a: string[]) => run("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: d });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "spec");
    expect(cli(["generate"], d).status).toBe(0);
    const r = cli(["run", "--output", join(d, ".out"), "--cache-dir", join(d, ".cache")], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\.circleci\/.*not committed\. gen-circle run checks out the last commit.*Commit .*, or pass --dirty/);
    expect(r.stdout).not.toContain("job ");
  });

  it("run -e NAME takes the value from the environment; an unset NAME is exit 2, nothing run", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    const git = (...a: string[]) => run("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: d });
    git("init", "-q");
    expect(cli(["generate"], d).status).toBe(0);
    git("add", "-A");
    git("commit", "-qm", "spec");
    const env = { ...process.env };
    delete env.GC_UNSET_SECRET;
    const r = run(process.execPath, [CLI, "run", "-e", "GC_UNSET_SECRET", "--output", join(d, ".out"), "--cache-dir", join(d, ".cache")], { cwd: d, env });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("-e GC_UNSET_SECRET: GC_UNSET_SECRET is not set in this environment (set it, or pass -e GC_UNSET_SECRET=VALUE).");
    expect(r.stdout).not.toContain("job ");
    expect(cli(["run", "-e", "not a name"], d).stderr).toContain("-e takes KEY=VALUE or the name of a variable of this environment, got 'not a name'.");
  });

  it("no spec: exit 2 with what to do", () => {
    const d = repo({});
    const r = cli(["generate"], d);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("gen-circle init");
  });
});

describe("cost", () => {
  it("prints every kind of push and scenario for the spec as generated, with its assumptions and rates; --json the same as data", () => {
    const d = repo({ "gen-circle.yml": WITH_DEPLOY });
    const r = cli(["cost"], d);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^branch feature\/change \(no filter names it\)$/m);
    expect(r.stdout).toMatch(/^branch main$/m);
    expect(r.stdout).toMatch(/deploy-app: [\d.]+ min on machine\.medium/);
    expect(r.stdout).toContain("image archive 500 MB");
    expect(r.stdout).toMatch(/storage 420 credits per GB-month, kept 15 days/);
    expect(existsSync(join(d, ".circleci"))).toBe(false); // generated in memory only
    const j = cli(["cost", "--branch", "main", "--scenario", "deps", "--archive-mb", "app=200", "--json"], d);
    expect(j.status, j.stderr).toBe(0);
    const s = JSON.parse(j.stdout).refs[0].scenarios[0];
    expect([s.scenario, s.machineStarts, s.restoredBytes, s.savedBytes]).toEqual(["deps", 1, 200e6, 200e6]);
  });

  it("with changes:, per case of what changed: the setup job, then the images it continues with; check knows the continuation", () => {
    const spec =
      "version: 1\nchanges: true\nimages:\n  - name: myorg/api\n    context: api\n    test: make test\n  - name: myorg/web\n    context: web\n    test: npm test\n";
    const d = repo({ "gen-circle.yml": spec, "api/Dockerfile": "FROM scratch\n", "web/Dockerfile": "FROM scratch\n" });
    const j = cli(["cost", "--branch", "topic", "--scenario", "code", "--json"], d);
    expect(j.status, j.stderr).toBe(0);
    const cases = JSON.parse(j.stdout).refs[0].scenarios as { changed: string; jobs: { name: string }[]; machineStarts: number }[];
    expect(cases.map((c) => [c.changed, c.jobs.map((x) => x.name), c.machineStarts])).toEqual([
      ["every image", ["gen-circle-changes", "test-api", "test-web"], 3],
      ["only api", ["gen-circle-changes", "test-api"], 2],
      ["only web", ["gen-circle-changes", "test-web"], 2],
      ["no image", ["gen-circle-changes"], 1],
    ]);
    expect(cli(["cost", "--changed", "db"], d).stderr).toMatch(/--changed db: choose every, none or an image id \(api, web\)/);
    expect(cli(["generate"], d).status).toBe(0);
    expect(existsSync(join(d, ".circleci/gen-circle/continue.yml"))).toBe(true);
    expect(cli(["check"], d).status).toBe(0);
    writeFileSync(join(d, ".circleci/gen-circle/continue.yml"), readFileSync(join(d, ".circleci/gen-circle/continue.yml"), "utf8") + "# edited\n");
    const drift = cli(["check"], d);
    expect(drift.status).toBe(1);
    expect(drift.stdout + drift.stderr).toContain("continue.yml");
  });

  it("bad options: exit 2 saying what they take", () => {
    const d = repo({ "gen-circle.yml": SPEC });
    for (const [args, message] of [
      [["--scenario", "warm"], /--scenario warm: choose one of code, deps, first, rerun/],
      [["--rate", "large"], /--rate takes NAME=NUMBER pairs/],
      [["--suite-min", "soon"], /--suite-min takes minutes/],
      [["--cache-dir", join(d, "nope")], /--cache-dir .*: no such folder/],
    ] as const) {
      const r = cli(["cost", ...args], d);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("determinism", () => {
  it("same spec, and the same spec with keys in another order, give identical bytes", () => {
    const a = repo({
      "gen-circle.yml":
        "image:\n  name: myorg/app\n  hash: [Dockerfile]\nservices:\n  db: {image: postgres:15, environment: {B: 2, A: 1}}\n  cache: redis:7\ntest: {command: x, environment: {Z: 1, Y: 2}}\n",
    });
    const b = repo({
      "gen-circle.yml":
        "test: {environment: {Y: 2, Z: 1}, command: x}\nservices:\n  cache: redis:7\n  db: {environment: {A: 1, B: 2}, image: postgres:15}\nimage:\n  hash: [Dockerfile]\n  name: myorg/app\n",
    });
    cli(["generate"], a);
    const first = readTree(join(a, ".circleci"));
    rmSync(join(a, ".circleci"), { recursive: true });
    cli(["generate"], a);
    expect(readTree(join(a, ".circleci"))).toEqual(first);
    cli(["generate"], b);
    expect(readTree(join(b, ".circleci"))).toEqual(first);
  });
});
