import { describe, expect, it } from "vitest";
import { ConfigError, expandWorkflow, type Job } from "../../src/run/expand.js";
import { jobRuns } from "../../src/run/filters.js";
import { countJUnit } from "../../src/run/junit.js";
import { pickCache, renderKey } from "../../src/run/keys.js";
import { load } from "../../src/spec/load.js";

const pipeline = { branch: "main", tag: "", revision: "abc123", number: 7 };
const expand = (yaml: string, p = pipeline, wf = "w") => expandWorkflow(load(yaml, "config.yml").source!, wf, p);

describe("cache key templates", () => {
  const ctx = {
    branch: "feature/x",
    revision: "abc",
    buildNum: "12",
    environment: { NODE: "20" } as Record<string, string | undefined>,
    epoch: 1700000000,
    arch: "linux-x64",
    checksum: (p: string) => `sum(${p})`,
  };
  it.each([
    ['v1-{{ checksum "package-lock.json" }}', "v1-sum(package-lock.json)"],
    ["v1-{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}", "v1-feature/x-abc-12"],
    ["node-{{ .Environment.NODE }}-{{ .Environment.NOPE }}", "node-20-<no value>"],
    ["e-{{ epoch }}-{{arch}}", "e-1700000000-linux-x64"],
  ])("%s", (t, want) => expect(renderKey(t, ctx)).toBe(want));
  it("rejects what it does not know", () => expect(() => renderKey("{{ .Nope }}", ctx)).toThrow(/unsupported/));
});

describe("restore order", () => {
  const stored = [
    { key: "deps-a", created: 1 },
    { key: "deps-b", created: 3 },
    { key: "deps-c", created: 2 },
    { key: "other-z", created: 9 },
  ];
  it("an exact key", () => expect(pickCache(["deps-c", "deps-"], stored)?.key).toBe("deps-c"));
  it("the newest key that starts with it, even when one equals it (CircleCI's rule)", () =>
    expect(pickCache(["deps-c"], [...stored, { key: "deps-c-2", created: 5 }])?.key).toBe("deps-c-2"));
  it("then the newest with the prefix", () => expect(pickCache(["deps-x", "deps-"], stored)?.key).toBe("deps-b"));
  it("keys in order", () => expect(pickCache(["other-", "deps-"], stored)?.key).toBe("other-z"));
  it("nothing", () => expect(pickCache(["none"], stored)).toBeUndefined());
});

describe("workflow filters", () => {
  it.each([
    [{}, { branch: "main" }, true],
    [{}, { tag: "v1" }, false],
    [{ branches: { only: ["main"] } }, { branch: "dev" }, false],
    [{ branches: { only: ["main", "/release-.*/"] } }, { branch: "release-2" }, true],
    [{ branches: { only: ["/rel/"] } }, { branch: "release" }, false],
    [{ branches: { ignore: ["/.*/"] }, tags: { only: ["/v[0-9.]+/"] } }, { tag: "v1.2" }, true],
    [{ branches: { ignore: ["/.*/"] }, tags: { only: ["/v[0-9.]+/"] } }, { branch: "main" }, false],
    [{ tags: { only: ["/.*/"], ignore: ["nightly"] } }, { tag: "nightly" }, false],
  ])("%j with %j → %s", (filters, ref, want) => expect(jobRuns(filters, ref)).toBe(want));
});

describe("2.1 expansion", () => {
  const config = `version: 2.1
executors:
  box:
    parameters: { img: { type: string, default: "ubuntu-2404:current" } }
    machine: { image: << parameters.img >> }
commands:
  greet:
    parameters:
      who: { type: string, default: world }
      loud: { type: boolean, default: false }
    steps:
      - run: echo hello << parameters.who >>
      - when:
          condition: << parameters.loud >>
          steps: [{ run: echo LOUD }]
      - unless:
          condition: { equal: [main, << pipeline.git.branch >>] }
          steps: [{ run: echo not main }]
jobs:
  build:
    parameters: { target: { type: string } }
    executor: { name: box, img: custom:1 }
    environment: { A: "1" }
    steps:
      - checkout
      - greet: { who: << parameters.target >>, loud: true }
      - greet
      - when:
          condition:
            or:
              - matches: { pattern: "^v.*$", value: << pipeline.git.tag >> }
              - and: [true, { not: false }]
          steps: [{ run: { name: tagged, command: "echo << pipeline.number >>" } }]
workflows:
  w:
    jobs:
      - build: { name: build-x, target: x }
      - build: { name: build-y, target: y, requires: [build-x], filters: { branches: { only: main } } }
`;
  it("commands with parameters and defaults, executors, job parameters, when/unless, pipeline values", () => {
    const jobs = expand(config);
    expect(jobs.map((j) => [j.name, j.requires, j.executor.image])).toEqual([
      ["build-x", [], "custom:1"],
      ["build-y", ["build-x"], "custom:1"],
    ]);
    const cmds = (j: Job) => j.steps.map((s) => (s.kind === "run" ? s.command : s.kind));
    expect(cmds(jobs[0]!)).toEqual(["checkout", "echo hello x", "echo LOUD", "echo hello world", "echo 7"]);
    expect(jobs[1]!.filters).toEqual({ branches: { only: ["main"], ignore: undefined }, tags: undefined });
    expect(jobs[0]!.environment).toEqual({ A: "1" });
    const onDev = expand(config, { ...pipeline, branch: "dev" });
    expect(cmds(onDev[0]!)).toContain("echo not main");
  });

  it("matches is a whole-value match; no_output_timeout reads Go durations", () => {
    const when = (pattern: string, value: string) =>
      expand(
        `version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps:\n      - when: {condition: {matches: {pattern: "${pattern}", value: ${value}}}, steps: [{run: hit}]}\nworkflows: {w: {jobs: [a]}}\n`,
      )[0]!.steps.length;
    expect(when("release", "release")).toBe(1);
    expect(when("release", "pre-release-1")).toBe(0); // a search would find it
    expect(when("rel.*", "release-2")).toBe(1);
    expect(when("a|b", "ab")).toBe(0);
    const secs = (d: string) => {
      const step = expand(
        `version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps:\n      - run: {command: x, no_output_timeout: ${d}}\nworkflows: {w: {jobs: [a]}}\n`,
      )[0]!.steps[0]!;
      return step.kind === "run" ? step.noOutputTimeout : undefined;
    };
    expect([secs("20m"), secs("90s"), secs("1h30m"), secs("1.5h")]).toEqual([1200, 90, 5400, 5400]);
  });

  it.each([
    ["version: 2\njobs: {}\nworkflows: {}\n", /version 2/, 1],
    ["version: 2.1\norbs:\n  node: circleci/node@5\nworkflows: {w: {jobs: []}}\n", /orbs/, 2],
    ["version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps:\n      - unknown_step: {}\nworkflows: {w: {jobs: [a]}}\n", /unknown_step/, 6],
    [
      "version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps:\n      - run: {command: x, shell_opts: y}\nworkflows: {w: {jobs: [a]}}\n",
      /run.shell_opts/,
      6,
    ],
    ["version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps: [checkout]\nworkflows: {w: {jobs: [{a: {requires: [b]}}]}}\n", /requires 'b'/, 6],
    ...(
      [
        ["{persist_to_workspace: {root: .}}", /'persist_to_workspace' needs 'paths'/],
        ["{save_cache: {paths: [x]}}", /'save_cache' needs 'key'/],
        ["{restore_cache: {}}", /'restore_cache' needs 'key'/],
        ["{run: {name: x}}", /'run' needs 'command'/],
        ["{when: {condition: {or: 3}, steps: []}}", /'or' takes a list/],
        ["{when: {condition: {matches: {pattern: '(', value: x}}, steps: []}}", /Invalid pattern/],
        ["{run: {command: x, no_output_timeout: 600}}", /no_output_timeout "600" is not a duration: write it with a unit/],
        ["{run: {command: x, no_output_timeout: ten minutes}}", /no_output_timeout "ten minutes" is not a duration/],
      ] as const
    ).map(
      ([step, message]) =>
        [`version: 2.1\njobs:\n  a:\n    machine: {image: x}\n    steps:\n      - ${step}\nworkflows: {w: {jobs: [a]}}\n`, message, 6] as const,
    ),
    ["version: 2.1\njobs:\n  a:\n    docker: {image: x}\n    steps: [checkout]\nworkflows: {w: {jobs: [a]}}\n", /docker: \[\{ image: NAME \}\]/, 4],
  ] as (readonly [string, RegExp, number])[])("clear error with a line: %#", (yaml, message, line) => {
    try {
      expand(yaml);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(message);
      expect((e as ConfigError).line).toBe(line);
    }
  });
});

describe("JUnit counts", () => {
  it("counts tests, failures, errors and skips", () => {
    const c = countJUnit(
      `<testsuites><testsuite><testcase classname="a" name="ok"/><testcase classname="a" name="bad"><failure>x</failure></testcase><testcase name="err"><error/></testcase><testcase name="s"><skipped/></testcase></testsuite></testsuites>`,
    );
    expect(c).toEqual({ tests: 4, failures: 2, skipped: 1, failed: ["a.bad", "err"] });
  });
});
