import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandWorkflow } from "../../src/run/expand.js";
import { load } from "../../src/spec/load.js";
import { chooseIsolation } from "../../src/cli/run/machine.js";
import { runWorkflow } from "../../src/cli/run/runner.js";
import { cli, run, tmpTree } from "../helpers.js";

const pipeline = { branch: "main", tag: "", revision: "abc123", number: 7 };
const expand = (yaml: string, p = pipeline, wf = "w") => expandWorkflow(load(yaml, "config.yml").source!, wf, p);

describe("running jobs on the host", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const repo = () => {
    const d = tmpTree({ "README.md": "hi\n" });
    dirs.push(d);
    run("git", ["init", "-q"], { cwd: d });
    run("git", ["add", "-A"], { cwd: d });
    run("git", ["-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "-m", "x"], { cwd: d });
    return d;
  };
  const ctx = (root: string) => {
    const lines: string[] = [];
    const out = mkdtempSync(join(tmpdir(), "gc-run-out-"));
    dirs.push(out);
    return {
      lines,
      c: {
        root,
        branch: "main",
        tag: "",
        revision: run("git", ["rev-parse", "HEAD"], { cwd: root }).stdout.trim(),
        buildNum: 1,
        cacheDir: join(out, "cache"),
        output: join(out, "run"),
        env: { SECRET: "s3" },
        dirty: false,
        isolation: chooseIsolation(join(out, "run")),
        write: (t: string) => lines.push(t),
      },
    };
  };

  it("BASH_ENV carries variables between steps; when: always and on_fail; -e reaches steps", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  a:
    machine: { image: x }
    steps:
      - checkout
      - run: echo 'export GREETING=hello' >> "$BASH_ENV"
      - run: test "$GREETING" = hello && test "$SECRET" = s3 && test "$CIRCLE_BRANCH" = main && test -f README.md
      - run: { name: breaks, command: "false" }
      - run: { name: skipped, command: "echo should not run" }
      - run: { name: cleanup, command: "echo cleaning up", when: always }
      - run: { name: on-fail, command: "echo it failed", when: on_fail }
workflows: { w: { jobs: [a] } }
`);
    const { lines, c } = ctx(root);
    const [r] = await runWorkflow(jobs, c);
    expect(r!.status).toBe("failed");
    expect(r!.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "Checkout code:passed",
      `echo 'export GREETING=hello' >> "$BASH_ENV":passed`,
      expect.stringMatching(/:passed$/),
      "breaks:failed",
      "skipped:skipped",
      "cleanup:passed",
      "on-fail:passed",
    ]);
    expect(lines.join("")).toContain("cleaning up");
    expect(lines.join("")).not.toContain("should not run");
  });

  it("save_cache never overwrites a key; restore_cache falls back by prefix; workspaces flow downstream", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  a:
    machine: { image: x }
    steps:
      - run: mkdir -p ~/c && echo one > ~/c/f && mkdir -p ws && echo w > ws/file
      - save_cache: { key: "k-{{ .Branch }}-1", paths: [~/c] }
      - run: echo two > ~/c/f
      - save_cache: { key: "k-{{ .Branch }}-1", paths: [~/c] }
      - persist_to_workspace: { root: ws, paths: [file] }
  b:
    machine: { image: x }
    steps:
      - restore_cache: { keys: ["k-main-2", "k-main-"] }
      - attach_workspace: { at: w }
      - run: test "$(cat ~/c/f)" = one && test "$(cat w/file)" = w
workflows: { w: { jobs: [a, { b: { requires: [a] } }] } }
`);
    const { c } = ctx(root);
    const [a, b] = await runWorkflow(jobs, c);
    expect(a!.status, JSON.stringify(a!.steps)).toBe("passed");
    expect(a!.cache.map((x) => [x.op, x.hit])).toEqual([
      ["save", false],
      ["save", true],
    ]);
    expect(b!.status).toBe("passed");
    expect(b!.cache).toMatchObject([{ op: "restore", hit: true, key: "k-main-1" }]);
  });

  it("a failed job stops what requires it; filtered jobs do not run", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  bad: { machine: { image: x }, steps: [{ run: "exit 3" }] }
  after: { machine: { image: x }, steps: [{ run: "true" }] }
  other: { machine: { image: x }, steps: [{ run: "true" }] }
workflows:
  w:
    jobs:
      - bad
      - after: { requires: [bad] }
      - other: { filters: { branches: { only: [release] } } }
`);
    const { c } = ctx(root);
    const results = await runWorkflow(jobs, c);
    expect(results.map((r) => `${r.name}:${r.status}`)).toEqual(["bad:failed", "after:skipped", "other:not run"]);
  });

  it("checkout is a clean copy at HEAD; --dirty adds the working tree's changes", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  a: { machine: { image: x }, steps: [checkout, { run: "cat README.md; test ! -e new.txt || cat new.txt" }] }
workflows: { w: { jobs: [a] } }
`);
    run("sh", ["-c", "echo changed > README.md && echo fresh > new.txt"], { cwd: root });
    const clean = ctx(root);
    await runWorkflow(jobs, clean.c);
    expect(clean.lines.join("")).toContain("hi");
    expect(clean.lines.join("")).not.toContain("fresh");
    const dirty = ctx(root);
    await runWorkflow(jobs, { ...dirty.c, dirty: true });
    expect(dirty.lines.join("")).toContain("changed");
    expect(dirty.lines.join("")).toContain("fresh");
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe("changed\n");
  });

  it("parallelism runs every node with its index; each job has its own build number; one path persisted by two nodes fails", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  split:
    machine: { image: x }
    parallelism: 3
    steps:
      - run: echo "node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL build $CIRCLE_BUILD_NUM"
  after:
    machine: { image: x }
    steps: [{ run: echo "after build $CIRCLE_BUILD_NUM" }]
  clash:
    machine: { image: x }
    parallelism: 2
    steps:
      - run: mkdir -p ws && echo same > ws/app.tar
      - persist_to_workspace: { root: ws, paths: [app.tar] }
workflows: { w: { jobs: [split, { after: { requires: [split] } }, clash] } }
`);
    const { c, lines } = ctx(root);
    const results = await runWorkflow(jobs, c);
    const text = lines.join("");
    for (const i of [0, 1, 2]) expect(text).toMatch(new RegExp(`\\[split/${i}\\]   node ${i} of 3 build ${c.buildNum}$`, "m"));
    expect(text).toMatch(new RegExp(`after build ${c.buildNum + 1}$`, "m"));
    expect(results.map((r) => `${r.name}:${r.status}:${r.nodes}`)).toEqual(["split:passed:3", "after:passed:1", "clash:failed:2"]);
    expect(text).toMatch(/persisted by node \d too: CircleCI refuses one path persisted by concurrent jobs/);
  });

  it("{{ arch }} carries the CPU family and model, as on CircleCI", async () => {
    const root = repo();
    const jobs = expand(`version: 2.1
jobs:
  a: { machine: { image: x }, steps: [{ run: "mkdir -p d && echo x > d/f" }, { save_cache: { key: "k-{{ arch }}", paths: [d] } }] }
workflows: { w: { jobs: [a] } }
`);
    const { c, lines } = ctx(root);
    await runWorkflow(jobs, c);
    expect(lines.join("")).toMatch(/saved k-arch1-linux-(amd64|arm64)-\d+_\d+ /);
  });
});

describe("gen-circle run: setup configurations", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const setupRepo = (config: string) => {
    const d = tmpTree({
      ".circleci/config.yml": config,
      "continue.yml":
        "version: 2.1\nparameters:\n  go: { type: boolean, default: false }\njobs:\n  hello:\n    machine: { image: ubuntu-2404:current }\n    steps: [{ run: echo hello-from-the-continuation }]\nworkflows:\n  w:\n    when: << pipeline.parameters.go >>\n    jobs: [hello]\n",
    });
    dirs.push(d);
    run("git", ["init", "-q"], { cwd: d });
    run("git", ["add", "-A"], { cwd: d });
    run("git", ["-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "-m", "x"], { cwd: d });
    const out = mkdtempSync(join(tmpdir(), "gc-run-setup-"));
    dirs.push(out);
    return (...a: string[]) => cli(["run", "--branch", "main", "--cache-dir", join(out, "cache"), "--output", join(out, "run"), ...a], d);
  };
  const setup = (executor: string, command: string) =>
    `version: 2.1\nsetup: true\njobs:\n  decide:\n    ${executor}\n    steps:\n      - checkout\n      - run: ${JSON.stringify(command)}\nworkflows:\n  s:\n    jobs: [decide]\n`;
  // What changes.sh does, in a few lines: post the continuation with the key on curl's stdin.
  const post = (params: string) =>
    `printf '{"continuation-key": "%s", "configuration": %s, "parameters": ${params}}' "$CIRCLE_CONTINUATION_KEY" "$(node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync("continue.yml", "utf8")))')" | curl -sS -f -X POST -H 'Content-Type: application/json' --data-binary @- "$GC_CIRCLECI_API/pipeline/continue"`;

  it("the setup job continues through the endpoint on this machine; the workflows whose when holds run", () => {
    const r = setupRepo(setup("machine: { image: ubuntu-2404:current }", post('{"go": true}')))();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/continued \(go=true\): hello/);
    expect(r.stdout).toContain("hello-from-the-continuation");
  });

  it("a parameter the continuation does not declare is refused, as CircleCI refuses it; a setup that does not continue fails", () => {
    const undeclared = setupRepo(setup("machine: { image: ubuntu-2404:current }", post('{"nope": true}')))();
    expect(undeclared.status).toBe(2);
    expect(undeclared.stderr).toContain("parameters the configuration does not declare: nope");
    const silent = setupRepo(setup("machine: { image: ubuntu-2404:current }", "echo deciding nothing"))();
    expect(silent.status).toBe(1);
    expect(silent.stdout).toContain("ended without continuing the pipeline");
  });

  it("a setup job in a container is refused before anything runs: it could not reach the endpoint", () => {
    const r = setupRepo(setup("docker: [{ image: cimg/base:current }]", "true"))();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("small_jobs: machine");
  });
});
