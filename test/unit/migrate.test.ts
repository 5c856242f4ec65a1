import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileSpec, formatDiagnostic } from "../../src/index.js";
import { migrate } from "../../src/migrate/migrate.js";
import { FIXTURES, ROOT } from "../helpers.js";
import { circleciSchemaErrors, circleciSchemaTitle, runCircleciSchema, subsetSchemaErrors } from "../schema.js";

// test/fixtures/migrate/<case>/circle.yml → snapshots/migrate/<case>/: the 2.1 config, the
// report, the gen-circle.yml when the file builds docker images; invalid-* cases: diagnostics.
const base = join(FIXTURES, "migrate");
const cases = readdirSync(base).sort();

/** Every command string of the 1.0 file appears in the migrated config, as one run command. */
function runCommands(config: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "run" && x && typeof x === "object")
          out.push(...String((x as { command: string }).command).split("\n"), String((x as { command: string }).command));
        else walk(x);
      }
    }
  };
  walk(config);
  return out;
}

/**
 * The commands of a 1.0 file read straight from its YAML, not by the migrator: every string (or
 * the key of a one-key map, `- cmd: {timeout: 600}`) in a phase's pre/override/post lists and in
 * deployment rules' commands.
 */
function v1Commands(text: string): string[] {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const take = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (typeof item === "string") out.push(item);
      else if (item && typeof item === "object" && Object.keys(item).length === 1) {
        // `- echo "a: b"` reads as a map: the command is its text again; modifiers are a map.
        const [[cmd, value]] = Object.entries(item) as [[string, unknown]];
        out.push(value !== null && typeof value !== "object" ? `${cmd}: ${String(value)}` : cmd);
      }
    }
  };
  for (const phase of ["machine", "checkout", "dependencies", "database", "compile", "test"]) {
    const p = doc[phase] as Record<string, unknown> | undefined;
    if (p && typeof p === "object") for (const when of ["pre", "override", "post"]) take(p[when]);
  }
  const deployment = doc.deployment as Record<string, { commands?: unknown }> | undefined;
  if (deployment && typeof deployment === "object") for (const rule of Object.values(deployment)) take(rule?.commands);
  return out;
}

describe.each(cases)("migrate %s", (name) => {
  const text = readFileSync(join(base, name, "circle.yml"), "utf8");
  const snap = (f: string) => join(ROOT, "snapshots/migrate", name, f);

  if (name.startsWith("invalid-")) {
    it("is refused with positions, and produces nothing", async () => {
      const r = await migrate(text, { spec: true });
      expect(r.config).toBeUndefined();
      expect(r.diagnostics.some((d) => d.severity === "error")).toBe(true);
      await expect(r.diagnostics.map(formatDiagnostic).join("\n") + "\n").toMatchFileSnapshot(snap("diagnostics.txt"));
    });
    return;
  }

  it("migrates every section into a valid 2.1 config, keeping every command", async () => {
    const r = await migrate(text, { spec: true });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    await expect(r.config).toMatchFileSnapshot(snap("config.yml"));
    await expect(r.report).toMatchFileSnapshot(snap("report.md"));
    if (r.spec) await expect(r.spec).toMatchFileSnapshot(snap("gen-circle.yml"));
    const config = parse(r.config!);
    expect(subsetSchemaErrors(config)).toEqual([]);
    const commands = runCommands(config);
    for (const c of v1Commands(text)) expect(commands.includes(c) || commands.includes(c.trimEnd()), c).toBe(true);
    if (r.spec) expect(compileSpec(r.spec).diagnostics).toEqual([]);
  });

  // Skipped, under a title that says why, only outside CI where the schema is not found.
  (runCircleciSchema ? it : it.skip)(circleciSchemaTitle, async () => {
    expect(circleciSchemaErrors(parse((await migrate(text, { spec: true })).config!))).toEqual([]);
  });
});

describe("migrate: the mappings that matter", () => {
  const m = async (file: string) => {
    const r = await migrate(readFileSync(join(base, file, "circle.yml"), "utf8"), { spec: true });
    return { ...r, c: parse(r.config!) };
  };

  it("a tag deployment puts filters.tags on the build job it requires", async () => {
    const { c } = await m("deployment");
    const wf = c.workflows.build_and_deploy.jobs;
    expect(wf[0].build.filters.tags.only).toEqual(["/v[0-9]+(\\.[0-9]+)*/"]);
    const release = wf.find((j: Record<string, unknown>) => "deploy-release" in j)["deploy-release"];
    expect(release.filters).toEqual({ branches: { ignore: ["/.*/"] }, tags: { only: ["/v[0-9]+(\\.[0-9]+)*/"] } });
    const staging = wf.find((j: Record<string, unknown>) => "deploy-staging" in j)["deploy-staging"];
    expect(staging.filters.branches.only).toEqual(["develop", "/release\\/.*/"]);
    expect(JSON.stringify(c.jobs["deploy-heroku-app"])).toContain("$HEROKU_API_KEY@git.heroku.com/acme-web.git");
  });

  it("machine: languages choose the image, databases only when used, TZ, hosts, PATH through $BASH_ENV", async () => {
    const { c, notes } = await m("machine");
    expect(c.executors.default.docker.map((d: { image: string }) => d.image)).toEqual(["cimg/ruby:2.4", "cimg/postgres:14.0", "cimg/redis:7.0"]);
    expect(c.executors.default.environment).toMatchObject({ RAILS_ENV: "test", TZ: "Europe/Paris" });
    const steps = JSON.stringify(c.jobs.build.steps);
    expect(steps).toContain('export PATH=\\"$HOME/bin:$PATH\\"');
    expect(steps).toContain("127.0.0.1 api.local");
    expect(notes.map((n) => n.what)).toContain("node 8.9.0");
    const plain = await m("database-compile");
    expect(plain.c.executors.default.docker.map((d: { image: string }) => d.image)).toEqual(["cimg/python:3.6", "cimg/postgres:14.0"]);
  });

  it("cache_directories: restore before dependencies, save after, keyed on the dependency files", async () => {
    const { c } = await m("dependencies");
    const steps = c.jobs.build.steps.map((s: Record<string, unknown>) => (typeof s === "string" ? s : Object.keys(s)[0]));
    const restore = steps.indexOf("restore_cache");
    const save = steps.indexOf("save_cache");
    const install = c.jobs.build.steps.findIndex((s: { run?: { command: string } }) => s.run?.command === "npm ci");
    expect(restore).toBeLessThan(install);
    expect(save).toBeGreaterThan(install);
    expect(c.jobs.build.steps[save].save_cache).toEqual({ key: 'v1-deps-{{ checksum "/tmp/circle-dependency-files" }}', paths: ["node_modules", "~/.npm"] });
  });

  it("modifiers: timeout, pwd, environment, background; inline and complex keys", async () => {
    const { c, notes } = await m("modifiers");
    const runs = c.jobs.build.steps.filter((s: Record<string, unknown>) => typeof s === "object" && "run" in s).map((s: { run: unknown }) => s.run);
    expect(runs).toContainEqual({ command: "./slow-suite.sh", no_output_timeout: "1200s" });
    expect(runs).toContainEqual({ command: "make test", working_directory: "~/project/backend", environment: { LOG_LEVEL: "debug" } });
    expect(runs).toContainEqual({ command: "./bin/server", background: true });
    expect(runs).toContainEqual({ command: 'for f in tests/*.sh; do\n  bash "$f"\ndone\n', no_output_timeout: "600s" });
    expect(runs).toContainEqual({ command: 'echo "odd: value with colon"' });
    expect(notes.map((n) => n.what)).toContain("parallel/files modifiers");
  });

  it("test reports and artifacts, general.artifacts and build_dir", async () => {
    const t = await m("test-reports");
    const kinds = t.c.jobs.build.steps.map((s: Record<string, unknown>) => (typeof s === "string" ? s : Object.keys(s)[0]));
    expect(kinds).toContain("store_test_results");
    expect(t.c.executors.default.environment.CIRCLE_TEST_REPORTS).toBe("/tmp/circle-test-reports");
    const g = await m("general-notify");
    expect(g.c.jobs.build.steps).toContainEqual({ store_artifacts: { path: "dist" } });
    expect(g.c.jobs.build.steps).toContainEqual({ run: { command: "make test", working_directory: "~/project/app" } });
    expect(g.c.workflows.build_and_deploy.jobs[0].build.filters.branches.only).toEqual(["master", "/feature-.*/"]);
    expect(g.notes.map((n) => n.what)).toEqual(expect.arrayContaining(["notify:", "experimental:"]));
  });

  it("--spec: a docker build/run/push recipe becomes a gen-circle.yml with our caching", async () => {
    const { spec } = await m("seed-000-inline-docker");
    const s = parse(spec!);
    expect(s.image).toEqual({ name: "myorg/myapp", hash: ["Dockerfile"] });
    expect(s.test).toEqual({ command: "py.test -v ./tests", environment: { DATABASE_URL: "postgres://postgres:test@db/test" } });
    expect(s.services).toEqual({ db: { image: "postgres:9.5", environment: { POSTGRES_PASSWORD: "test" } } });
    expect(s.deploy).toEqual({ login: { username: "DOCKER_USER", password: "DOCKER_PASS" }, rules: [{ tags: ["{sha}", "latest"], branch: "master" }] });
  });

  it("shapes of the wrong kind are repaired or said, never dropped quietly", async () => {
    const r = await m("odd-shapes");
    expect(r.c.executors.default.docker[0].image).toBe("cimg/python:3.6");
    expect(r.c.executors.default.environment).toEqual({ FOO: "bar" });
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual(["3:3 GC2007", "5:3 GC2007", "7:1 GC2007"]);
    expect(r.report).toMatch(/'machine.hosts' should be a mapping/);
  });

  it("a wrongly nested section with one meaning is repaired, with a warning in the report", async () => {
    const r = await m("repaired");
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`)).toEqual(["2:1 warning GC2006", "5:13 warning GC2005"]);
    expect(r.report).toContain("GC2006");
  });
});
