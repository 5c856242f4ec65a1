import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cli, ROOT, run } from "../helpers.js";
import { expectCostAgrees } from "./cost-agreement.js";
import { ENGINE_PATH, REGISTRY_PATH, TEST_TMP } from "./engine.js";
import { removeImages } from "./project.js";

// A monorepo with `changes:` through `gen-circle run` on the engine under test: the setup job
// diffs the push and continues the pipeline with the image it changed only, on machines of its
// own; a change to the pipeline runs every image. Counted as CircleCI bills them, and the same
// counts as `gen-circle cost` estimates.
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const dir = mkdtempSync(join(TEST_TMP, "gc-it-changes-"));
const out = mkdtempSync(join(TEST_TMP, "gc-it-changes-out-"));
const images = ["api", "web"].map((id) => ({ id, name: `localhost:5000/${REGISTRY_PATH}/changes-${RUN}/${id}` }));
const git = (...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd: dir }).stdout.trim();
const gcRun = (branch: string) => cli(["run", "--branch", branch, "--cache-dir", join(out, "cache"), "--output", join(out, "run")], dir, { PATH: ENGINE_PATH });
const ran = (stdout: string) => [...stdout.matchAll(/^ {2}✓ (\S+) +passed/gm)].map((m) => m[1]).sort();
const commit = (files: Record<string, string>, message: string) => {
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  git("add", "-A");
  git("commit", "-qm", message);
};

beforeAll(() => {
  for (const { id } of images)
    cpSync(join(ROOT, "examples/demo"), join(dir, "services", id), {
      recursive: true,
      filter: (s) => !/\/(\.circleci|gen-circle\.yml|docker-compose\.yml)$/.test(s),
    });
  for (const { id } of images) writeFileSync(join(dir, "services", id, "requirements.txt"), `webframework 1\norm 1\n# changes-${id}-${RUN}\n`);
  const spec = {
    version: 1,
    changes: true,
    // The setup job on a machine: gen-circle run has no cimg/base to pull offline.
    small_jobs: "machine",
    images: images.map(({ id, name }) => ({
      id,
      name,
      context: `services/${id}`,
      hash: [`services/${id}/Dockerfile`, `services/${id}/requirements.txt`],
      build_args: { INSTALL_SECONDS: "0" },
      test: { command: "sh /app/tests/run.sh", environment: { DATABASE_URL: "http://db:8080", RESULTS: "/results" }, results: "/results" },
      services: {
        kv: { image: "gen-circle-test/httpd:latest", ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello", setup: "echo seeded > /www/seeded" },
        db: { image: "gen-circle-test/httpd:latest", ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello" },
      },
    })),
  };
  writeFileSync(join(dir, "gen-circle.yml"), stringify(spec));
  const gen = cli(["generate"], dir);
  expect(gen.status, gen.stderr).toBe(0);
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "two images");
});
afterAll(() => {
  for (const i of images) removeImages(i.name);
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

describe("gen-circle run: only what changed", () => {
  it("main's first build runs every image; then each build of main runs what changed since the one before, a branch what it changed", () => {
    const first = gcRun("main");
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain("nothing to compare with");
    expect(ran(first.stdout)).toEqual(["gen-circle-changes", "test-api", "test-web"]);
    expect(first.stdout).toMatch(/on CircleCI: 3 machine starts/);

    commit({ "services/web/src/app.sh": "greet() { printf 'hello %s\\n' \"$1\"; }\n" }, "web only");
    const web = gcRun("main");
    expect(web.status, web.stdout + web.stderr).toBe(0);
    expect(web.stdout).toContain("web runs: services/web/src/app.sh changed");
    expect(web.stdout).toMatch(/continued \(run-api=false, run-web=true\): test-web/);
    expect(ran(web.stdout)).toEqual(["gen-circle-changes", "test-web"]);
    expect(web.stdout).toMatch(/on CircleCI: 2 machine starts/);
    expectCostAgrees(dir, join(out, "run"), join(out, "cache"), ["--branch", "main", "--changed", "web"], "code");

    commit({ "README.md": "docs\n" }, "docs");
    const docs = gcRun("main");
    expect(docs.status, docs.stdout + docs.stderr).toBe(0);
    expect(ran(docs.stdout)).toEqual(["gen-circle-changes"]);
    expect(docs.stdout).toMatch(/on CircleCI: 1 machine start,/);

    // A branch: what it changed since it left main.
    git("checkout", "-q", "-b", "feature");
    commit({ "services/api/src/marker": "api-change\n" }, "api only");
    const api = gcRun("feature");
    expect(api.status, api.stdout + api.stderr).toBe(0);
    expect(ran(api.stdout)).toEqual(["gen-circle-changes", "test-api"]);
  });

  it("a change to the pipeline itself runs every image", () => {
    commit({ "gen-circle.yml": `# edited\n${run("cat", [join(dir, "gen-circle.yml")]).stdout}` }, "spec comment");
    const r = gcRun("feature");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("gen-circle.yml changed (the pipeline itself): every image");
    expect(ran(r.stdout)).toEqual(["gen-circle-changes", "test-api", "test-web"]);
  });
});
