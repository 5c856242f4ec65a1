import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Codes, codeTitles } from "../../src/diagnostics.js";
import { migrate } from "../../src/migrate/migrate.js";
import { ConfigError, expandWorkflow } from "../../src/run/expand.js";
import { load } from "../../src/spec/load.js";
import { ROOT } from "../helpers.js";

// One table of diagnostics (src/diagnostics.ts): the README lists it, and each code of the
// migrate, run and command-line groups is produced here by the mistake it names. (The spec's
// codes, GC10xx, have their cases in validation.test.ts.)
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the diagnostics table", () => {
  it("the README lists every code with its meaning, and no other", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const listed = [...readme.matchAll(/^\| (GC\d{4}) \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(listed).toEqual([...codeTitles].map(([code, title]) => [code, title]));
  });

  it("no two names share a code", () => {
    expect(new Set(Object.values(Codes)).size).toBe(Object.values(Codes).length);
  });
});

const runCode = (config: string, workflow = "main"): string => {
  const { source } = load(config, "config.yml");
  try {
    expandWorkflow(source!, workflow, { branch: "main", tag: "", revision: "abc", number: 1 });
  } catch (e) {
    if (e instanceof ConfigError) return `${e.line}:${e.column} ${e.code}`;
    throw e;
  }
  return "no error";
};
const job = (steps: string, extra = "") => `version: 2.1\njobs:\n  t:\n    machine: true\n${extra}    steps:\n${steps}\nworkflows:\n  main:\n    jobs: [t]\n`;

describe("gen-circle run: one code per kind of problem", () => {
  it.each([
    ["GC3001", "an orb", "version: 2.1\norbs:\n  node: circleci/node@5\nworkflows:\n  main:\n    jobs: []\n"],
    ["GC3001", "a macOS executor", "version: 2.1\njobs:\n  t:\n    macos: { xcode: '15' }\n    steps: [checkout]\nworkflows:\n  main:\n    jobs: [t]\n"],
    ["GC3002", "a job the workflow names and nobody defines", "version: 2.1\njobs: {}\nworkflows:\n  main:\n    jobs: [nope]\n"],
    [
      "GC3002",
      "an executor the job names and nobody defines",
      "version: 2.1\njobs:\n  t:\n    executor: nope\n    steps: [checkout]\nworkflows:\n  main:\n    jobs: [t]\n",
    ],
    [
      "GC3003",
      "a parameter of the wrong type",
      "version: 2.1\ncommands:\n  c:\n    parameters: { n: { type: integer } }\n    steps: [{ run: echo }]\n" + job("      - c: { n: ten }").slice(13),
    ],
    ["GC3004", "a condition CircleCI refuses", job("      - when:\n          condition: { equal: x }\n          steps: [checkout]")],
    ["GC3005", "steps that are not a list", job("      checkout")],
    // An unknown step is a step of the wrong shape, not an undefined workflow, job or executor (GC3002).
    ["GC3005", "an unknown step", job("      - teleport")],
    ["GC3006", "a no_output_timeout without a unit", job("      - run: { command: make, no_output_timeout: '10' }")],
  ])("%s: %s", (code, _what, config) => {
    expect(runCode(config)).toMatch(new RegExp(`^\\d+:\\d+ ${code}$`));
  });
});

describe("gen-circle migrate: one code per kind of problem", () => {
  it.each([
    ["GC2001", "not a 1.0 file", "version: 2.1\njobs: {}\n"],
    ["GC2002", "a phase key outside any section", "override:\n  - make\n"],
    ["GC2003", "a section 1.0 never had", "nonsense:\n  x: 1\ntest:\n  override: [make]\n"],
    ["GC2004", "a command that is neither a string nor a map", "test:\n  override:\n    - [make, test]\n"],
    ["GC2005", "one command where a list belongs", "test:\n  override: make test\n"],
    ["GC2006", "a section that does not hold pre/override/post", "test: make test\n"],
    ["GC2007", "a list where a mapping belongs", "machine:\n  hosts: [x]\ntest:\n  override: [make]\n"],
    ["GC2008", "a deployment with no branch and no tag", "test:\n  override: [make]\ndeployment:\n  prod:\n    commands: [./deploy.sh]\n"],
  ])("%s: %s", async (code, _what, text) => {
    const r = await migrate(text, { spec: true });
    expect(r.diagnostics.map((d) => d.code)).toContain(code);
  });
});
