import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startContinueServer } from "../../src/cli/run/continue-server.js";
import { generate } from "../../src/index.js";
import { run, writeTree } from "../helpers.js";

// changes.sh, the setup job of `changes:`, in a clone of a small monorepo (origin/main there, as
// in CircleCI's checkout), continuing through CircleCI's continue endpoint as gen-circle run
// serves it on this machine. Spawned asynchronously: the endpoint answers from this process.
const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "gc-changes-"));
const origin = join(work, "origin");
const clone = join(work, "clone");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = {
  version: 1,
  changes: true,
  images: [
    {
      name: "acme/api",
      context: "services/api",
      dockerfile: "docker/api.Dockerfile",
      hash: ["docker/api.Dockerfile", "services/api/go.mod"],
      test: "go test ./...",
    },
    { name: "acme/web", context: "services/web", hash: ["services/web/Dockerfile", "services/web/*.json"], test: "npm test" },
  ],
  deploy: {
    registry: "ghcr.io",
    rules: [
      { branch: "/release-.*/", tags: ["{branch}"] },
      { tag: "/v[0-9]+/", tags: ["{tag}"] },
    ],
  },
};
const git = (cwd: string, ...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd }).stdout.trim();
const commit = (files: Record<string, string>, message: string) => {
  writeTree(origin, files);
  git(origin, "add", "-A");
  git(origin, "commit", "-qm", message);
  return git(origin, "rev-parse", "HEAD");
};

beforeAll(async () => {
  const r = await generate(stringify(spec));
  expect(r.diagnostics).toEqual([]);
  writeTree(origin, Object.fromEntries(r.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
  git(origin, "init", "-q", "-b", "main");
  commit(
    { "docker/api.Dockerfile": "FROM scratch\n", "services/api/go.mod": "", "services/web/Dockerfile": "FROM scratch\n", "services/web/a.json": "{}" },
    "start",
  );
});

/** changes.sh at `rev` of a fresh clone, with CircleCI's variables; what it posted. */
async function decide(rev: string, env: Record<string, string>) {
  rmSync(clone, { recursive: true, force: true });
  run("git", ["clone", "-q", origin, clone]);
  git(clone, "checkout", "-q", "--detach", rev);
  const server = await startContinueServer();
  try {
    const r = await exec("bash", [join(clone, ".circleci/gen-circle/changes.sh")], {
      env: { ...process.env, GEN_CIRCLE_STATE: join(work, "state"), CIRCLE_CONTINUATION_KEY: server.key, GC_CIRCLECI_API: server.api, ...env },
    }).catch((e: { code: number; stderr: string }) => ({ stderr: e.stderr, code: e.code }));
    return { posted: server.posted(), stderr: r.stderr, code: "code" in r ? r.code : 0 };
  } finally {
    await server.close();
  }
}

describe("changes.sh: only what changed", () => {
  it("a branch runs the images its commits changed since it left the base branch, all of them on each push", async () => {
    git(origin, "checkout", "-q", "-b", "feature");
    const web = commit({ "services/web/app.js": "x" }, "web");
    const first = await decide(web, { CIRCLE_BRANCH: "feature" });
    expect(first.code, first.stderr).toBe(0);
    expect(first.posted!.parameters).toEqual({ "run-api": false, "run-web": true });
    expect(first.stderr).toContain("web runs: services/web/app.js changed");
    // The continuation is the generated continue.yml, as it is in the commit.
    expect(first.posted!.configuration).toContain("when: << pipeline.parameters.run-web >>");
    // The build before (maybe cancelled or red) does not narrow a branch: web's change is tested again.
    const docs = commit({ "README.md": "docs\n" }, "docs");
    expect((await decide(docs, { CIRCLE_BRANCH: "feature", GC_BASE_REVISION: web })).posted!.parameters).toEqual({ "run-api": false, "run-web": true });
    git(origin, "checkout", "-q", "main");
  });

  it("the base branch runs what changed since the build before it: a Dockerfile outside the context counts, a move counts on both sides, a docs commit runs none", async () => {
    const before = git(origin, "rev-parse", "HEAD");
    const api = commit({ "docker/api.Dockerfile": "FROM scratch\nLABEL a=b\n" }, "api dockerfile");
    expect((await decide(api, { CIRCLE_BRANCH: "main", GC_BASE_REVISION: before })).posted!.parameters).toEqual({ "run-api": true, "run-web": false });
    // A move (git sees a rename): the image it left changed as much as the one it reached.
    git(origin, "mv", "services/api/go.mod", "services/web/go.mod");
    git(origin, "commit", "-qm", "move a file from api to web");
    const moved = git(origin, "rev-parse", "HEAD");
    expect((await decide(moved, { CIRCLE_BRANCH: "main", GC_BASE_REVISION: api })).posted!.parameters).toEqual({ "run-api": true, "run-web": true });
    const docs = commit({ "README.md": "docs on main\n" }, "docs");
    const none = await decide(docs, { CIRCLE_BRANCH: "main", GC_BASE_REVISION: moved });
    expect(none.posted!.parameters).toEqual({ "run-api": false, "run-web": false });
    expect(none.stderr).toContain("api: nothing of it changed");
  });

  it("every image for a git tag, a deploying branch, a change of the pipeline, or nothing to compare with", async () => {
    const head = git(origin, "rev-parse", "HEAD");
    const all = { "run-api": true, "run-web": true };
    expect((await decide(head, { CIRCLE_BRANCH: "", CIRCLE_TAG: "v1" })).posted!.parameters).toEqual(all);
    const release = await decide(head, { CIRCLE_BRANCH: "release-1", GC_BASE_REVISION: head });
    expect(release.posted!.parameters).toEqual(all);
    expect(release.stderr).toContain("branch release-1 deploys: every image");
    const spec2 = commit({ "gen-circle.yml": "# edited\n" }, "spec");
    expect((await decide(spec2, { CIRCLE_BRANCH: "main", GC_BASE_REVISION: head })).posted!.parameters).toEqual(all);
    // The base branch's first build: no build before it.
    expect((await decide(spec2, { CIRCLE_BRANCH: "main" })).posted!.parameters).toEqual(all);
  });

  it("without a continuation key (not CircleCI's setup workflow) or with one the API refuses: fails, saying so", async () => {
    const head = git(origin, "rev-parse", "HEAD");
    const none = await decide(head, { CIRCLE_BRANCH: "feature", CIRCLE_CONTINUATION_KEY: "" });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain("CIRCLE_CONTINUATION_KEY is not set");
    const wrong = await decide(head, { CIRCLE_BRANCH: "feature", CIRCLE_CONTINUATION_KEY: "not-the-key" });
    expect(wrong.code).not.toBe(0);
    expect(wrong.posted).toBeUndefined();
    expect(wrong.stderr).toMatch(/HTTP 400: .*Invalid continuation key/);
  });
});
