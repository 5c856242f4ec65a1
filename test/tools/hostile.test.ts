import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compileSpec, generate } from "../../src/index.js";
import { calls, fakeDocker, run, writeTree } from "../helpers.js";

// Every string of the spec reaches bash quoted, or the schema rejects it. Shown by running the
// rendered scripts with a recording `docker` first on PATH: each hostile value must arrive as one
// literal argument, and nothing in it may run on the host (the marker file must not appear).
const work = mkdtempSync(join(tmpdir(), "gc-hostile-"));
const MARK = join(work, "PWNED");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const payloads = [
  `$(touch ${MARK})`,
  "`touch " + MARK + "`",
  `'; touch ${MARK}; '`,
  `"; touch ${MARK}; "`,
  `x; touch ${MARK} #`,
  `\\$(touch ${MARK})\\`,
  `\${IFS}touch\${IFS}${MARK}`,
  `{{shq x}} && touch ${MARK}`,
  `a|touch ${MARK}&`,
];
const multiline = `first\ntouch ${MARK}\n`;

function specWith(h: string, text: string) {
  return {
    version: 1,
    image: { name: "myorg/app", dockerfile: `dir/${h}`, context: h, target: h, build_args: { ARG: h }, hash: [h] },
    cache: { strategy: "save-load" },
    services: {
      db: { image: "postgres:15", environment: { PASS: h, MULTI: text }, command: [h, text], ready: { command: h, timeout: 1 }, setup: [h, text] },
    },
    test: {
      command: text,
      environment: { VALUE: h, MULTI: text },
      results: `/r/${h}`,
      artifacts: `/a/${h}`,
      workdir: `/w/${h}`,
      user: h,
      entrypoint: `/e/${h}`,
    },
    deploy: { registry: "localhost:5000", rules: [{ branch: h, tags: ["{branch}", "{sha}"] }] },
  };
}

/** A spec's generated files in a new folder, with a recording docker first on PATH. */
async function generatedWithFakeDocker(spec: object) {
  const result = await generate(stringify(spec));
  expect(result.diagnostics).toEqual([]);
  const dir = mkdtempSync(join(work, "repo-"));
  writeTree(dir, Object.fromEntries(result.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
  writeTree(dir, { "bin/docker*": fakeDocker });
  const log = join(dir, "docker.log");
  const env = { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, DOCKER_LOG: log, GEN_CIRCLE_STATE: join(dir, ".state"), CIRCLE_SHA1: "abc" };
  return { dir, log, env };
}

describe("hostile values", () => {
  it.each(payloads)("%s reaches docker literally and runs nothing", async (h) => {
    const text = `${h}\n${multiline}`;
    const result = await generate(stringify(specWith(h, text)));
    // A build arg that looks like a variable ($VAR, ${VAR}) is said to be passed as written, an
    // entrypoint with spaces to be one program: warnings only.
    expect(result.diagnostics.filter((d) => d.code !== "GC1041" && d.code !== "GC1043")).toEqual([]);
    expect(result.diagnostics.every((d) => d.severity === "warning")).toBe(true);
    const dir = mkdtempSync(join(work, "repo-"));
    writeTree(dir, Object.fromEntries(result.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
    writeTree(dir, { "bin/docker*": fakeDocker });
    const log = join(dir, "docker.log");
    const env = {
      ...process.env,
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      DOCKER_LOG: log,
      GEN_CIRCLE_STATE: join(dir, ".state"),
      CIRCLE_SHA1: "abc1234def",
      CIRCLE_BRANCH: h,
    };
    const scripts = join(dir, ".circleci/gen-circle");
    const runs = [
      run("bash", [join(scripts, "hash.sh"), "app"], { env }),
      run("bash", [join(scripts, "image.sh"), "ready", "app"], { env }),
      run("bash", [join(scripts, "test.sh"), "run", "app"], { env }),
      run("bash", [join(scripts, "deploy.sh"), "app", "1"], { env }),
    ];
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    expect(existsSync(MARK)).toBe(false);

    const argv = calls(log);
    const args = argv.flat();
    const build = argv.find((c) => c[0] === "build")!;
    expect(build).toContain(`${dir}/dir/${h}`);
    expect(build).toContain(h); // --target
    expect(build).toContain(`ARG=${h}`);
    expect(build[build.length - 1]).toBe(`${dir}/${h}`);
    const service = argv.find((c) => c[0] === "run" && c.includes("postgres:15"))!;
    expect(service).toContain(`PASS=${h}`);
    expect(service).toContain(`MULTI=${text}`);
    expect(service.slice(-2)).toEqual([h, text]);
    expect(args).toContain(h); // ready probe and setup, as one `sh -c` argument each
    const execs = argv.filter((c) => c[0] === "exec").map((c) => c[c.length - 1]);
    expect(execs).toEqual(expect.arrayContaining([h, text]));
    const create = argv.find((c) => c[0] === "create")!;
    expect(create).toContain(`VALUE=${h}`);
    expect(create).toContain(`MULTI=${text}`);
    expect(create.slice(-3)).toEqual(["sh", "-c", text]);
    expect(create[create.indexOf("--workdir") + 1]).toBe(`/w/${h}`);
    expect(create[create.indexOf("--user") + 1]).toBe(h);
    expect(create[create.indexOf("--entrypoint") + 1]).toBe(`/e/${h}`);
    expect(
      args.some((a) => a.endsWith(`-test:/r/${h}/.`)),
      "docker cp of the results",
    ).toBe(true);
    // The branch matched the rule literally (exact match, not a pattern) and was pushed slugged.
    const pushes = argv.filter((c) => c[0] === "push").map((c) => c[1]);
    expect(pushes).toHaveLength(2);
    for (const p of pushes) expect(p).toMatch(/^localhost:5000\/myorg\/app:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
  });

  it.each(payloads)("registry cache settings (%s) reach docker literally", async (h) => {
    const spec = { image: "myorg/app", test: "true", cache: { strategy: "registry", registry: "localhost:5000", default_branch: h } };
    const result = await generate(stringify(spec));
    expect(result.diagnostics).toEqual([]);
    const dir = mkdtempSync(join(work, "repo-"));
    writeTree(dir, Object.fromEntries(result.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
    writeTree(dir, { "bin/docker*": fakeDocker.replace("exit 0", '[ "$1" = pull ] && exit 1; exit 0') });
    const log = join(dir, "docker.log");
    const r = run("bash", [join(dir, ".circleci/gen-circle/image.sh"), "warm", "app"], {
      env: {
        ...process.env,
        PATH: `${join(dir, "bin")}:${process.env.PATH}`,
        DOCKER_LOG: log,
        GEN_CIRCLE_STATE: join(dir, ".state"),
        CIRCLE_SHA1: "abc",
        CIRCLE_BRANCH: h,
      },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(MARK)).toBe(false);
    const pulls = calls(log)
      .filter((c) => c[0] === "pull")
      .map((c) => c[c.length - 1]!);
    expect(pulls.length).toBeGreaterThanOrEqual(2);
    for (const p of pulls) expect(p).toMatch(/^localhost:5000\/myorg\/app:cache-[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
  });

  it("self-test commands reach bash -c exactly as written", async () => {
    const command = `printf '%s|' "$IMAGE" "it's" 'a "quoted" $(word)' > self.out`;
    const result = await generate(stringify({ image: "myorg/app", self_test: [command] }));
    const dir = mkdtempSync(join(work, "repo-"));
    writeTree(dir, Object.fromEntries(result.files.map((f) => [f.path + (f.executable ? "*" : ""), f.content])));
    const r = run("bash", [join(dir, ".circleci/gen-circle/test.sh"), "self", "app"], {
      env: { ...process.env, CIRCLE_SHA1: "abc", GEN_CIRCLE_STATE: join(dir, ".state") },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`self-test: ${command}`);
    expect(readFileSync(join(dir, "self.out"), "utf8")).toBe(`myorg/app:ci-abc|it's|a "quoted" $(word)|`);
  });

  it.each([
    ["no entrypoint: the image's own, no flag", undefined, null],
    ['entrypoint "": one empty argument, which clears the image\'s', "", ""],
  ])("%s", async (_, entrypoint, expected) => {
    const spec = { image: "myorg/app", test: { command: "run tests", ...(entrypoint === undefined ? {} : { entrypoint }) } };
    const { dir, log, env } = await generatedWithFakeDocker(spec);
    const r = run("bash", [join(dir, ".circleci/gen-circle/test.sh"), "run", "app"], { env });
    expect(r.status, r.stderr).toBe(0);
    const create = calls(log).find((c) => c[0] === "create")!;
    const at = create.indexOf("--entrypoint");
    expect(at === -1 ? null : create[at + 1]).toBe(expected);
    expect(create.slice(-3)).toEqual(["sh", "-c", "run tests"]);
  });

  it("a branch regex with shell syntax is only ever a regex", async () => {
    const h = `$(touch ${MARK})`;
    const spec = { image: "myorg/app", test: "true", deploy: { registry: "localhost:5000", rules: [{ branch: `/${h}|main/`, tags: ["latest"] }] } };
    const { dir, log, env: base } = await generatedWithFakeDocker(spec);
    const other = run("bash", [join(dir, ".circleci/gen-circle/deploy.sh"), "app", "1"], { env: { ...base, CIRCLE_BRANCH: "feature" } });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("nothing pushed");
    expect(calls(log).filter((c) => c[0] === "push")).toEqual([]);
    const main = run("bash", [join(dir, ".circleci/gen-circle/deploy.sh"), "app", "1"], { env: { ...base, CIRCLE_BRANCH: "main" } });
    expect(main.status).toBe(0);
    expect(calls(log).filter((c) => c[0] === "push")).toHaveLength(1);
    expect(existsSync(MARK)).toBe(false);
  });

  it.each([
    ["image name", { image: "$(touch x)/app" }, "GC1010"],
    ["image id", { image: { name: "a/b", id: "x;y" } }, "GC1006"],
    ["service name", { image: "a/b", services: { "db;rm": "postgres" } }, "GC1006"],
    ["service image", { image: "a/b", services: { db: "postgres:$(x)" } }, "GC1010"],
    ["environment name", { image: "a/b", test: { command: "x", environment: { "A;B": "1" } } }, "GC1006"],
    ["pass_env name", { image: "a/b", test: { command: "x", pass_env: ["$(x)"] } }, "GC1006"],
    [
      "login variable",
      { image: "a/b", deploy: { login: { username: "U", password: "$(cat /etc/shadow)" }, rules: [{ branch: "main", tags: ["x"] }] } },
      "GC1006",
    ],
    ["deploy tag", { image: "a/b", deploy: { rules: [{ branch: "main", tags: ["$(x)"] }] } }, "GC1018"],
    ["registry host", { image: "a/b", deploy: { registry: "reg;touch x", rules: [{ branch: "main", tags: ["x"] }] } }, "GC1015"],
    ["newline in a path", { image: { name: "a/b", dockerfile: "a\nb" } }, "GC1017"],
    ["newline in a branch", { image: "a/b", deploy: { rules: [{ branch: "a\nb", tags: ["x"] }] } }, "GC1017"],
  ])("%s is rejected", (_n, spec, code) => {
    const { diagnostics } = compileSpec(stringify(spec));
    expect(diagnostics.map((d) => d.code)).toContain(code);
  });
});
