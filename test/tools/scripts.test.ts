import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { generate } from "../../src/index.js";
import { calls, fakeDocker, run, writeTree } from "../helpers.js";

// The generated scripts run by bash against a recording docker (no engine): the machine file the
// cache keys checksum, the state folder, the split among nodes, the export on parallel nodes.
const work = mkdtempSync(join(tmpdir(), "gc-shape-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const base = { version: 1, image: { name: "acme/app", hash: ["Dockerfile"] }, test: { command: "make test", results: "/r" } };

/** The generated scripts of a spec in a fresh folder, with a recording docker on PATH. */
async function project(spec: object, files: Record<string, string> = {}) {
  const r = await generate(stringify(spec));
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]); // (a split by timings of "make test" warns: GC1034)
  const dir = mkdtempSync(join(work, "repo-"));
  writeTree(dir, Object.fromEntries(r.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
  writeTree(dir, { "bin/docker*": fakeDocker, ...files });
  const log = join(dir, "docker.log");
  const state = join(dir, ".state");
  const script = (name: string, args: string[], env: Record<string, string> = {}) =>
    run("bash", [join(dir, ".circleci/gen-circle", name), ...args], {
      env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, DOCKER_LOG: log, GEN_CIRCLE_STATE: state, CIRCLE_SHA1: "abc", ...env },
    });
  return { dir, log, state, script };
}

describe("scripts", () => {
  it("image.sh key writes the machine file the keys checksum; built trusts only a marker of this hash", async () => {
    const p = await project(base, { Dockerfile: "FROM scratch\n" });
    expect(p.script("image.sh", ["key", "app"]).status).toBe(0);
    expect(readFileSync(join(p.state, "hash/machine"), "utf8")).toBe(run("uname", ["-s", "-m"]).stdout);
    expect(p.script("image.sh", ["built", "app"]).status).toBe(1);
    writeTree(p.state, { "built/app": readFileSync(join(p.state, "hash/app"), "utf8") });
    expect(p.script("image.sh", ["built", "app"]).status).toBe(0);
    writeFileSync(join(p.dir, "Dockerfile"), "FROM scratch\nRUN true\n");
    expect(p.script("image.sh", ["key", "app"]).status).toBe(0);
    expect(p.script("image.sh", ["built", "app"]).status).toBe(1);
  });

  it("a build refused because another build named the image at the same moment is built again, once", async () => {
    // A docker whose first build fails as the containerd store does when two builds of one commit
    // run at once on one engine (two local runs), and whose second build succeeds.
    const racing = fakeDocker.replace(
      'case "$1" in',
      'if [ "$1" = build ] || [ "$2" = build ]; then\n  n=$(cat "$DOCKER_LOG.builds" 2>/dev/null || echo 0); echo $((n + 1)) >"$DOCKER_LOG.builds"\n  for a in "$@"; do case "$prev" in --tag) ref=$a ;; esac; prev=$a; done\n  if [ "$n" = 0 ]; then echo "ERROR: failed to build: failed to solve: image \\"$ref\\": already exists"; exit 1; fi\nfi\ncase "$1" in',
    );
    const p = await project({ ...base, cache: "none" }, { Dockerfile: "FROM scratch\n", "bin/docker*": racing });
    const r = p.script("image.sh", ["ready", "app"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("another build named acme/app:ci-abc at the same moment: building again");
    expect(readFileSync(`${p.log}.builds`, "utf8").trim()).toBe("2");
    // Any other failure of the build fails the job at once.
    const broken = await project(
      { ...base, cache: "none" },
      { Dockerfile: "FROM scratch\n", "bin/docker*": fakeDocker.replace('case "$1" in', '[ "$1" != build ] || exit 1\ncase "$1" in') },
    );
    const b = broken.script("image.sh", ["ready", "app"]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain("gen-circle: error: the build of acme/app:ci-abc failed");
  });

  it("the state folder is GEN_CIRCLE_STATE, else /tmp/gen-circle: TMPDIR does not move it", async () => {
    const p = await project(base, { Dockerfile: "FROM scratch\n" });
    const r = run("bash", ["-c", '. "$1"; printf %s "$GC_STATE"', "_", join(p.dir, ".circleci/gen-circle/lib.sh")], {
      env: { ...process.env, TMPDIR: "/var/tmp", GEN_CIRCLE_STATE: "" },
    });
    expect(r.stdout).toBe("/tmp/gen-circle");
  });

  it("with test.split, four nodes run disjoint shares of the test files that together are all of them", async () => {
    const tests: Record<string, string> = {};
    for (let i = 0; i < 9; i++) tests[`tests/unit/test_${i}.py`] = "x".repeat(100 * (i + 1));
    tests["tests/README.md"] = "not a test";
    for (const by of ["name", "filesize", "timings"]) {
      const spec = { ...base, test: { ...base.test, parallelism: 4, split: { glob: "tests/**/test_*.py", by } } };
      const p = await project(spec, { Dockerfile: "FROM scratch\n", ...tests });
      const shares: string[][] = [];
      for (let node = 0; node < 4; node++) {
        rmSync(p.log, { force: true });
        const r = p.script("test.sh", ["run", "app"], { CIRCLE_NODE_INDEX: String(node), CIRCLE_NODE_TOTAL: "4" });
        expect(r.status, r.stderr).toBe(0);
        const create = calls(p.log).find((c) => c[0] === "create")!;
        const env = create.find((a) => a.startsWith("TEST_FILES="))!;
        shares.push(env.slice("TEST_FILES=".length).split(" ").filter(Boolean));
      }
      const all = shares.flat();
      expect(new Set(all).size, by).toBe(all.length);
      expect(all.sort(), by).toEqual(
        Object.keys(tests)
          .filter((f) => f.endsWith(".py"))
          .sort(),
      );
      for (const s of shares) expect(s.length, by).toBeGreaterThan(0);
    }
  });

  it("a node with no share runs nothing (an empty TEST_FILES would run every test)", async () => {
    const spec = { ...base, test: { ...base.test, parallelism: 4, split: { glob: "tests/*.py", by: "name" } } };
    const p = await project(spec, { Dockerfile: "FROM scratch\n", "tests/a.py": "", "tests/b.py": "" });
    const r = p.script("test.sh", ["run", "app"], { CIRCLE_NODE_INDEX: "3", CIRCLE_NODE_TOTAL: "4" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("no test files");
    expect(calls(p.log).some((c) => c[0] === "create")).toBe(false);
  });

  it("on CircleCI the share comes from circleci tests run: a rerun of failed tests runs only those, and a node without any runs nothing", async () => {
    // CircleCI's CLI as "Rerun failed tests" drives it: the command gets the failed files only.
    const circleci = `#!/bin/sh
[ "$1 $2" = "tests run" ] || exit 3
for a; do case $a in --command=*) cmd=\${a#--command=} ;; --split-by=*) echo "$a" >>"$CIRCLECI_LOG" ;; esac; done
cat >/dev/null
printf '%s\\n' $FAILED | sh -c "$cmd"
`;
    const spec = { ...base, test: { ...base.test, parallelism: 2, split: { glob: "tests/*.py", by: "name" } } };
    const p = await project(spec, { Dockerfile: "FROM scratch\n", "tests/a.py": "", "tests/b.py": "", "tests/c.py": "", "bin/circleci*": circleci });
    const env = { CIRCLE_NODE_INDEX: "1", CIRCLE_NODE_TOTAL: "2", CIRCLECI_LOG: join(p.dir, "circleci.log") };
    const rerun = p.script("test.sh", ["run", "app"], { ...env, FAILED: "tests/b.py" });
    expect(rerun.status, rerun.stderr).toBe(0);
    const create = calls(p.log).find((c) => c[0] === "create")!;
    expect(create).toContain("TEST_FILES=tests/b.py");
    expect(readFileSync(join(p.dir, "circleci.log"), "utf8")).toBe("--split-by=name\n");
    rmSync(p.log, { force: true });
    const none = p.script("test.sh", ["run", "app"], { ...env, FAILED: "" });
    expect(none.status, none.stderr).toBe(0);
    expect(none.stderr).toContain("no test files to run");
    expect(calls(p.log).some((c) => c[0] === "create")).toBe(false);
  });

  it("a split glob that matches nothing fails the node, saying so", async () => {
    const spec = { ...base, test: { ...base.test, parallelism: 2, split: "spec/**/*_spec.rb" } };
    const p = await project(spec, { Dockerfile: "FROM scratch\n" });
    const r = p.script("test.sh", ["run", "app"], { CIRCLE_NODE_INDEX: "0", CIRCLE_NODE_TOTAL: "2" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("test.split matched no files");
  });

  it("with parallel nodes, node 0 alone pushes the candidate image; the others push nothing", async () => {
    const spec = {
      ...base,
      test: { ...base.test, parallelism: 3, split: { glob: "tests/*", by: "name" } },
      deploy: { registry: "r.example.com", rules: [{ branch: "main", tags: ["latest"] }] },
    };
    const p = await project(spec, { Dockerfile: "FROM scratch\n" });
    for (let node = 0; node < 3; node++) {
      const r = p.script("deploy.sh", ["app", "1", "candidate"], {
        CIRCLE_NODE_INDEX: String(node),
        CIRCLE_NODE_TOTAL: "3",
        CIRCLE_BRANCH: "main",
        CIRCLE_SHA1: "abc",
      });
      expect(r.status, r.stderr).toBe(0);
      if (node > 0) expect(r.stdout + r.stderr).toContain("node 0 pushes the candidate image");
    }
    const pushes = calls(p.log).filter((c) => c[0] === "push");
    expect(pushes).toEqual([["push", "r.example.com/acme/app:ci-abc"]]);
  });
});
