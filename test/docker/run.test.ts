import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, ROOT, run } from "../helpers.js";
import { ENGINE_PATH, REGISTRY_PATH, TEST_TMP } from "./engine.js";
import { expectCostAgrees } from "./cost-agreement.js";
import { AUTH_PASSWORD, authRegistryTags, docker, removeImages } from "./project.js";

// `gen-circle run` end to end: init + generate on the example, then the emitted config (not just
// its scripts) runs here, on the real engine and the registry with login.
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const INSTALL = /(^|\s)demo: installing dependencies$/m;
const image = `localhost:5000/${REGISTRY_PATH}/run-${RUN}/app`;
const dir = mkdtempSync(join(TEST_TMP, "gc-it-run-"));
const out = mkdtempSync(join(TEST_TMP, "gc-it-run-out-"));
const git = (...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd: dir });
const env = { PATH: ENGINE_PATH }; // the engine under test's client
const gcRun = (...a: string[]) =>
  cli(["run", "--cache-dir", join(out, "cache"), "--output", join(out, "run"), "-e", "REG_USER=ci", "-e", "REG_PASS", ...a], dir, {
    ...env,
    REG_PASS: AUTH_PASSWORD,
  });
const freshEngine = () => removeImages(image);
// What the run just measured is what `gen-circle cost` estimates for this ref and scenario.
const costAgrees = (ref: string[], scenario: string) => expectCostAgrees(dir, join(out, "run"), join(out, "cache"), ref, scenario);
const tags = () => authRegistryTags(`${REGISTRY_PATH}/run-${RUN}/app`);

// The user's own state from `gen-circle run`: each job has a /tmp of its own, so the
// tests neither need nor touch this machine's /tmp/gen-circle.
const USER_STATE = "/tmp/gen-circle";
const userState = () => (existsSync(USER_STATE) ? readdirSync(USER_STATE, { recursive: true }).map(String).sort() : null);
const userStateBefore = userState();
// Nor the user's ~/.cache/gen-circle: every run here names its cache and output folders.
const userCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "gen-circle");
const userCacheEntries = () =>
  existsSync(userCache)
    ? readdirSync(userCache)
        .filter((e) => e.startsWith("gc-it-run-"))
        .sort()
    : [];
const userCacheBefore = userCacheEntries();

beforeAll(() => {
  cpSync(join(ROOT, "examples/demo"), dir, { recursive: true, filter: (s) => !/\/(\.circleci|gen-circle\.yml|test-results)$/.test(s) });
  writeFileSync(join(dir, "requirements.txt"), `webframework 6\norm 4\n# run-${RUN}\n`);
  writeFileSync(join(dir, "docker-compose.yml"), readFileSync(join(dir, "docker-compose.yml"), "utf8").replace("localhost:5000/gen-circle-demo/app", image));
  const init = cli(["init"], dir);
  expect(init.status, init.stderr).toBe(0);
  // What a user adds after init: a setup command for a service, deploy rules with the registry
  // login from -e secrets (and a faster dependency step for the test).
  const spec = readFileSync(join(dir, "gen-circle.yml"), "utf8")
    .replace(
      "hash: [Dockerfile, .dockerignore, requirements.txt]",
      'hash: [Dockerfile, .dockerignore, requirements.txt]\n  build_args: { INSTALL_SECONDS: "1" }',
    )
    .replace(/(  kv:\n    image: .*\n    ready: .*\n)/, "$1    setup: echo seeded > /www/seeded\n");
  expect(spec).toContain("setup: echo seeded");
  writeFileSync(
    join(dir, "gen-circle.yml"),
    spec +
      `  results: /results\ndeploy:\n  registry: 127.0.0.1:5001\n  login: { username: REG_USER, password: REG_PASS }\n  rules:\n    - branch: main\n      tags: [latest, "{sha}"]\n    - tag: /v[0-9]+(\\.[0-9]+)*/\n      tags: ["{tag}"]\n`,
  );
  const gen = cli(["generate"], dir);
  expect(gen.status, gen.stderr).toBe(0);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "pipeline");
});
afterAll(() => {
  expect(userState()).toEqual(userStateBefore);
  expect(userCacheEntries()).toEqual(userCacheBefore);
  freshEngine();
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

describe("gen-circle run", () => {
  it("first run on main: one job builds, tests, saves the cache and pushes; no image through the workspace", async () => {
    const r = gcRun("--branch", "main");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(INSTALL);
    expect(r.stdout).not.toContain("build-app"); // one test node: one job builds, saves and tests
    // On a deploying branch the job that tests is the one that pushes (with the deploy context).
    expect(r.stdout).toMatch(/- test-app +not run/);
    expect(r.stdout).toMatch(/✓ deploy-app-1 +passed/);
    expect(r.stdout).toMatch(/✓ Test app in its container/);
    expect(r.stdout).toMatch(/✓ Push app image/);
    expect(r.stdout).toMatch(/- deploy-app-2 +not run/);
    expect(r.stdout).toMatch(/caches: .*, 1 saved \(\d/);
    expect(r.stdout).toMatch(/on CircleCI: 1 machine start,/);
    expect(r.stdout).not.toMatch(/persisted|attached/);
    expect(r.stdout).toContain("tests: 7 passed, 0 failed");
    expect(r.stdout).not.toContain(AUTH_PASSWORD);
    const sha = git("rev-parse", "HEAD").stdout.trim();
    expect((await tags()).sort()).toEqual([sha, "latest"].sort());
    costAgrees(["--branch", "main"], "first");
  });

  it("second run, on a fresh engine: restores the cache, no rebuild, no new save", () => {
    freshEngine();
    const r = gcRun("--branch", "main");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(INSTALL);
    expect(r.stdout).toContain("cache hit");
    // The archive is restored once, by the one job that builds and tests.
    expect(r.stdout).toMatch(/caches: 1 restored \(\d.*\), 0 missed, 0 saved/);
    expect(r.stdout).toMatch(/Save app image archive .*: skipped: .* exists/);
    expect(r.stdout).toMatch(/on CircleCI: 1 machine start,/); // deploy-app-1 tests and pushes
    expect(r.stdout).not.toContain("{{ arch }}");
    costAgrees(["--branch", "main"], "rerun");
  });

  it("with parallelism 2: the build job ends on the marker before restoring the archive", () => {
    writeFileSync(
      join(dir, "gen-circle.yml"),
      // The deploy job on a machine: gen-circle run has no cimg/base (the small executor) to pull offline.
      readFileSync(join(dir, "gen-circle.yml"), "utf8").replace(
        /^test:\n/m,
        "small_jobs: machine\ntest:\n  parallelism: 2\n  split: { glob: tests/*.sh, by: name }\n",
      ),
    );
    expect(cli(["generate"], dir).status).toBe(0);
    git("commit", "-qam", "two test nodes");
    try {
      twoNodes();
    } finally {
      // The later tests run the one-node pipeline, whatever happened here.
      git("revert", "--no-edit", "HEAD");
      expect(cli(["generate"], dir).status).toBe(0);
    }
  });
  const twoNodes = () => {
    const first = gcRun("--branch", "feature/p2");
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\[build-app\] ✓ Save app cache marker/);
    freshEngine();
    const r = gcRun("--branch", "feature/p2");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[build-app\] ✓ Stop here when the cache holds app for this hash .*: circleci-agent step halt/);
    expect(r.stdout).not.toMatch(/\[build-app\] ✓ Restore app image archive/);
    expect(r.stdout).not.toMatch(INSTALL);
    expect(r.stdout).toMatch(/✓ build-app +passed .*restored \d+(\.\d+)? B,/); // the marker: bytes, not megabytes
    expect(r.stdout).toMatch(/✓ test-app +passed .*\(2 nodes\)/);
    // Both nodes ran, each a machine of its own with its index.
    expect(r.stdout).toMatch(/\[test-app\/0\] job test-app, node 0 of 2/);
    expect(r.stdout).toMatch(/\[test-app\/1\] job test-app, node 1 of 2/);
    expect(r.stdout).toMatch(/\[test-app\/1\] ✓ Test app in its container/);
    expect(r.stdout).toMatch(/on CircleCI: 3 machine starts/);
    costAgrees(["--branch", "feature/p2"], "rerun");
    // On main: node 0 pushes the candidate, the deploy job tags it in the registry (no layer moves).
    const deploy = gcRun("--branch", "main");
    expect(deploy.status, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/- test-app +not run/);
    expect(deploy.stdout).toMatch(/✓ test-app-deploying +passed .*\(2 nodes\)/);
    expect(deploy.stdout).toMatch(/\[test-app-deploying\/0\] .*pushing the candidate/);
    expect(deploy.stdout).toMatch(/\[test-app-deploying\/1\] .*node 0 pushes the candidate image/);
    expect(deploy.stdout).toMatch(/\[deploy-app-1\] .*tagging .*:latest \(a copy of ci-[0-9a-f]{40}'s manifest\)/);
    expect(deploy.stdout).toMatch(/on CircleCI: 4 machine starts/);
    expect(deploy.stdout).not.toMatch(/persisted|attached/);
    expect(deploy.stdout).not.toContain(AUTH_PASSWORD);
    costAgrees(["--branch", "main"], "rerun");
  };

  it("a feature branch builds and tests, and does not deploy", () => {
    const r = gcRun("--branch", "feature/x");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ test-app +passed/);
    expect(r.stdout).toMatch(/- deploy-app-1 +not run/);
    expect(r.stdout).not.toContain("Push app");
    costAgrees(["--branch", "feature/x"], "code");
  });

  it("a release tag deploys the tag rule's tags", async () => {
    const r = gcRun("--tag", "v1.2.3");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ deploy-app-2 +passed/);
    expect(r.stdout).toMatch(/- deploy-app-1 +not run/);
    expect(await tags()).toContain("v1.2.3");
    costAgrees(["--tag", "v1.2.3"], "code");
  });

  it("a broken test: exit 1, the failing test counted, results stored and containers cleaned up", () => {
    writeFileSync(join(dir, "src/app.sh"), readFileSync(join(dir, "src/app.sh"), "utf8").replace("hello %s", "bye %s"));
    const r = gcRun("--branch", "main", "--dirty");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("tests: 6 passed, 1 failed (demo.greets)");
    expect(r.stdout).toMatch(/✓ Storing test results \(test-results\/app\).*: 7 tests, 1 failed/);
    expect(r.stdout).toMatch(/✗ deploy-app-1 +failed/);
    expect(r.stdout).not.toMatch(/Push app image/); // the tests failed: nothing pushed
    expect(docker("ps", "-a", "--format", "{{.Names}}").stdout).not.toMatch(/^gc-app-/m);
    expect(docker("network", "ls", "--format", "{{.Name}}").stdout).not.toMatch(/^gc-app-/m);
  });

  it("an unsupported key is an error with its line", () => {
    writeFileSync(join(dir, "bad.yml"), "version: 2.1\norbs:\n  node: circleci/node@5\nworkflows: { w: { jobs: [] } }\n");
    const r = cli(["run", "--config", "bad.yml", "--cache-dir", join(out, "bad-cache"), "--output", join(out, "bad")], dir, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.yml:2:1 error GC3001: .*orbs/);
  });
});

describe("gen-circle run: executors and Ctrl-C", () => {
  const write = (name: string, yaml: string) => writeFileSync(join(dir, name), yaml);

  it("each job has a /tmp of its own (a mount namespace as root): only caches and workspaces carry files between jobs", () => {
    // By name, not through TMPDIR or GEN_CIRCLE_STATE: what a step on a CircleCI machine writes.
    const left = `/tmp/gc-it-left-${RUN}`;
    write(
      "tmp.yml",
      `version: 2.1
jobs:
  first:
    machine: { image: ubuntu-2404:current }
    steps:
      - run: echo left-behind > ${left} && test -z "\${GEN_CIRCLE_STATE:-}" && echo "TMPDIR=\${TMPDIR:-unset}"
      - run: mkdir -p /tmp/gen-circle/x && echo cached > /tmp/gen-circle/x/cached
      - save_cache: { key: "tmp-{{ .Revision }}", paths: [/tmp/gen-circle/x/cached] }
  second:
    machine: { image: ubuntu-2404:current }
    steps:
      - run: test ! -e ${left} && test ! -e /tmp/gen-circle/x && echo "no-file-from-first"
      - restore_cache: { keys: [tmp-] }
      - run: cat /tmp/gen-circle/x/cached
workflows: { w: { jobs: [first, { second: { requires: [first] } }] } }
`,
    );
    git("add", "-A");
    git("commit", "-q", "-m", "tmp jobs");
    const r = cli(["run", "--config", "tmp.yml", "--cache-dir", join(out, "tmp-cache"), "--output", join(out, "tmp")], dir, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("machines: each job has a /tmp of its own (a mount namespace per job)");
    expect(r.stdout).toMatch(/\[first\] +TMPDIR=unset$/m);
    expect(r.stdout).toContain("no-file-from-first");
    expect(r.stdout).toMatch(/\[second\] +cached$/m);
    // The first job's /tmp was its own folder; this machine's /tmp never saw the file.
    expect(existsSync(left)).toBe(false);
    expect(readFileSync(join(out, "tmp/jobs/first/tmp", left.slice(5)), "utf8")).toBe("left-behind\n");
  });

  it("without root, each job's /tmp is a folder by path only, and the run says so", () => {
    write(
      "tmp-user.yml",
      `version: 2.1
jobs:
  only:
    machine: { image: ubuntu-2404:current }
    steps:
      - run: echo "state=$GEN_CIRCLE_STATE tmpdir=$TMPDIR"
workflows: { w: { jobs: [only] } }
`,
    );
    git("add", "-A");
    git("commit", "-q", "-m", "tmp-user job");
    const folder = join(out, "as-nobody");
    run("mkdir", ["-p", folder]);
    run("chmod", ["-R", "a+rwX", dir, folder]);
    run("chmod", ["a+rx", out]);
    const r = run(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        CLI,
        "run",
        "--config",
        "tmp-user.yml",
        "--cache-dir",
        join(folder, "cache"),
        "--output",
        join(folder, "run"),
      ],
      // The repository is root's: git refuses it to another user unless told it is safe.
      { cwd: dir, env: { ...process.env, ...env, HOME: folder, GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "*" } },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "each job has a /tmp of its own by path only: not root (a mount namespace needs root); a command that writes /tmp by name reaches this machine's /tmp",
    );
    const tmp = join(folder, "run/jobs/only/tmp");
    expect(r.stdout).toContain(`state=${tmp}/gen-circle tmpdir=${tmp}`);
  });

  it("circleci-agent step halt ends the job green; no later step runs", () => {
    write(
      "halt.yml",
      `version: 2.1
jobs:
  early:
    machine: { image: ubuntu-2404:current }
    steps:
      - run: echo before
      - run: circleci-agent step halt
      - run: echo after-the-halt
      - run: { command: echo always-after, when: always }
  next:
    machine: { image: ubuntu-2404:current }
    steps: [{ run: echo next-ran }]
workflows: { w: { jobs: [early, { next: { requires: [early] } }] } }
`,
    );
    git("add", "-A");
    git("commit", "-q", "-m", "halt job");
    const r = cli(["run", "--config", "halt.yml", "--cache-dir", join(out, "halt-cache"), "--output", join(out, "halt")], dir, env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("before");
    expect(r.stdout).not.toContain("after-the-halt");
    expect(r.stdout).not.toContain("always-after");
    expect(r.stdout).toMatch(/✓ early +passed/);
    expect(r.stdout).toContain("next-ran");
  });

  it("a docker job runs its steps inside the primary image; a missing image is a clear error", () => {
    write(
      "docker-job.yml",
      `version: 2.1
jobs:
  inside:
    docker: [{ image: gen-circle-test/busybox:latest }]
    steps:
      - checkout
      - run: test -f /bin/busybox && test -f Dockerfile && echo "inside as $CIRCLE_JOB"
  missing:
    docker: [{ image: gen-circle-test/no-such-image:1 }]
    steps: [{ run: "true" }]
  pipefail:
    docker: [{ image: gen-circle-test/busybox:latest }]
    steps: [{ run: "false | true" }, { run: echo not-reached }]
workflows: { w: { jobs: [inside, missing, pipefail] } }
`,
    );
    git("add", "-A");
    git("commit", "-q", "-m", "docker job");
    // Under /tmp: the job's folder is bind-mounted into its container, and the Docker 28 test
    // daemons (in a forky root) see this machine's /tmp, not its /var/tmp. A docker executor's
    // steps run in the container, which has a /tmp of its own anyway.
    const jobs = mkdtempSync("/tmp/gc-it-run-docker-");
    const r = cli(["run", "--config", "docker-job.yml", "--cache-dir", join(jobs, "cache"), "--output", join(jobs, "run")], dir, env);
    rmSync(jobs, { recursive: true, force: true });
    expect(r.stdout).toContain("inside as inside");
    expect(r.stdout).toMatch(/✓ inside +passed/);
    expect(r.stdout).toMatch(/gen-circle-test\/no-such-image:1 is not in the local engine: 'docker pull/);
    // CircleCI's default shell has pipefail: a failing command before a pipe fails the step.
    expect(r.stdout).toMatch(/✗ pipefail +failed/);
    expect(r.stdout).not.toContain("not-reached");
    expect(r.status).toBe(1);
  });

  it("Ctrl-C stops the running step, still runs the when: always steps, and exits 1", async () => {
    write(
      "slow.yml",
      `version: 2.1
jobs:
  slow:
    machine: { image: x }
    steps:
      - run: { name: long, command: "echo started; sleep 60" }
      - run: { name: next, command: "echo never" }
      - run: { name: cleanup, command: "echo cleaned up", when: always }
workflows: { w: { jobs: [slow] } }
`,
    );
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [CLI, "run", "--config", "slow.yml", "--dirty", "--cache-dir", join(out, "slow-cache"), "--output", join(out, "slow")],
      { cwd: dir, env: { ...process.env, ...env } },
    );
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (text.includes("started")) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    const t0 = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(code).toBe(1);
    expect(text).toContain("cleaned up");
    expect(text).not.toContain("never");
    expect(text).toMatch(/✗ long/);
  });
});
