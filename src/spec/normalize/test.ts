import { Codes } from "../../diagnostics.js";
import type { ProjectSplit, ProjectTest, Test } from "../types.js";
import { cleanPath, entries, type Reporter } from "./context.js";

/** `test:` (of an entry of images:, or the top level's for the single image): command, folders, split. */
export function normalizeTest(t: ProjectTest, path: (string | number)[], r: Reporter): Test {
  if (typeof t === "string") {
    checkFailure(t, path, r);
    return { command: { shell: t }, environment: [], passEnv: [], parallelism: 1, results: junitFolder(t) };
  }
  for (const key of ["results", "artifacts", "workdir"] as const) {
    const v = t[key];
    if (v !== undefined && !v.startsWith("/")) {
      r.report(
        Codes.containerPath,
        [...path, key],
        `'${key}' is a folder inside the container and must be absolute, e.g. '/results'; got ${JSON.stringify(v)}.`,
      );
    }
  }
  const text = Array.isArray(t.command) ? t.command.join(" ") : t.command;
  const test: Test = {
    command: Array.isArray(t.command) ? { exec: t.command } : { shell: t.command },
    environment: entries(t.environment),
    passEnv: t.pass_env ?? [],
    results: t.results ?? junitFolder(text),
    artifacts: t.artifacts,
    parallelism: t.parallelism ?? 1,
    split: normalizeSplit(t.split, [...path, "split"], r),
    workdir: t.workdir,
    user: t.user,
    entrypoint: t.entrypoint,
  };
  // `docker run --entrypoint` takes one program: `python -m pytest` would be a file of that name.
  if (t.entrypoint !== undefined && /\s/.test(t.entrypoint.trim()))
    r.warn(
      Codes.entrypointWords,
      [...path, "entrypoint"],
      `entrypoint ${JSON.stringify(t.entrypoint)} is several words, but docker runs the entrypoint as one program of that name. ` +
        (Array.isArray(t.command)
          ? 'Give the program alone (or "" for none), and put its arguments at the start of the command list.'
          : 'The command is given to it as `sh -c COMMAND`: use "" and write the whole command, or name one program that runs its arguments (`tini`, a script that ends in exec "$@").'),
    );
  checkFailure(text, [...path, "command"], r);
  checkParallelism(test, text, path, r);
  if (test.split?.by === "timings") junitFileNames(test, text, [...path, "split"], r);
  return test;
}

/** A command whose exit status hides failing tests: the job would be green with tests failing. */
function checkFailure(text: string, path: (string | number)[], r: Reporter): void {
  const hides = /\|\|\s*(true|:|exit\s+0)\s*$/.exec(text)?.[0] ?? /(^|\s)(--fail-never|-fn|-Dmaven\.test\.failure\.ignore(=true)?)(?=\s|$)/.exec(text)?.[2];
  if (hides === undefined) return;
  r.warn(
    Codes.testCannotFail,
    path,
    `The test command passes when the tests fail ('${hides.trim()}'): the job would be green with failing tests, and their results unseen. Remove it; to keep going after a failing suite, run the rest and exit with the first failure's status.`,
  );
}

/**
 * Parallel nodes need a way to share the tests: `split:` (each node's share in $TEST_FILES), or a
 * command that shares them itself by CIRCLE_NODE_INDEX and CIRCLE_NODE_TOTAL. Else each node runs
 * the whole suite: N times the cost, and N copies of every result.
 */
function checkParallelism(test: Test, text: string, path: (string | number)[], r: Reporter): void {
  if (test.parallelism <= 1 || test.split || /CIRCLE_NODE_(INDEX|TOTAL)|TEST_FILES/.test(text)) return;
  r.report(
    Codes.parallelismWithoutSplit,
    [...path, "parallelism"],
    `parallelism: ${test.parallelism} would run the whole test command on each of ${test.parallelism} nodes (${test.parallelism} times the cost, and every result ${test.parallelism} times). ` +
      "Add 'split:' with the globs of the test files (each node gets its share in $TEST_FILES, e.g. command: pytest $TEST_FILES), " +
      "or share the work in the command by $CIRCLE_NODE_INDEX and $CIRCLE_NODE_TOTAL.",
  );
}

// Splitting by timings reads the `file` attribute of each JUnit testcase (CircleCI's stored
// timings): runners that leave it out by default are told to write it, where the spec has not said.
const FILE_ATTRIBUTE: { runner: RegExp; env: [string, string] }[] = [
  // pytest's default JUnit family (xunit2) has no file attribute; xunit1 has.
  { runner: /\b(py\.test|pytest)\b/, env: ["PYTEST_ADDOPTS", "-o junit_family=xunit1"] },
  { runner: /\bjest\b/, env: ["JEST_JUNIT_ADD_FILE_ATTRIBUTE", "true"] },
];
// Runners whose usual JUnit reporters write the file attribute as they are.
const WRITES_FILES = /\b(rspec|RspecJunitFormatter|gotestsum|mocha|phpunit|vitest)\b/;

function junitFileNames(test: Test, text: string, path: (string | number)[], r: Reporter): void {
  const known = FILE_ATTRIBUTE.find((f) => f.runner.test(text));
  if (known) {
    const [name, value] = known.env;
    if (!test.environment.some(([k]) => k === name) && !test.passEnv.includes(name)) test.environment.push([name, value]);
    return;
  }
  if (WRITES_FILES.test(text)) return;
  r.warn(
    Codes.timingsWithoutFiles,
    path,
    "split by timings reads the 'file' attribute of each testcase in the JUnit report, which gen-circle cannot tell this runner writes: " +
      "where it writes none, CircleCI shares the files by name. Make the runner write file names, or say 'by: name' (or 'by: filesize').",
  );
}

/** `test.split`: one glob or several (repository paths), and how to share them. */
function normalizeSplit(s: ProjectSplit | undefined, path: (string | number)[], r: Reporter): Test["split"] {
  if (s === undefined) return undefined;
  const o = typeof s === "string" ? { glob: s } : s;
  const list = Array.isArray(o.glob) ? o.glob : [o.glob];
  const globPath = typeof s === "string" ? path : [...path, "glob"];
  const globs = list.map((g, i) => cleanPath(r, g, Array.isArray(o.glob) ? [...globPath, i] : globPath));
  return { globs, by: o.by ?? "timings" };
}

// Where common test runners are told to write JUnit XML: the folder becomes test.results when the
// spec names none, so that `pytest --junitxml=/results/junit.xml` alone stores its results.
const JUNIT_FILE_FLAGS = [
  /--junit-?xml[= ]["']?(\/[^\s"']+)/, // pytest
  /--junitfile[= ]["']?(\/[^\s"']+)/, // gotestsum
  /mochaFile=["']?(\/[^\s"',]+)/, // mocha-junit-reporter
  /JEST_JUNIT_OUTPUT_FILE=["']?(\/[^\s"']+)/, // jest-junit
  /go-junit-report\b[^|>]*>\s*["']?(\/[^\s"']+)/, // go test ... | go-junit-report > FILE
];
const JUNIT_DIR_FLAGS = [/JEST_JUNIT_OUTPUT_DIR=["']?(\/[^\s"']+)/];

export function junitFolder(command: string): string | undefined {
  for (const re of JUNIT_DIR_FLAGS) {
    const m = re.exec(command);
    if (m) return m[1]!.replace(/\/+$/, "") || "/";
  }
  for (const re of JUNIT_FILE_FLAGS) {
    const m = re.exec(command);
    if (m) return m[1]!.replace(/\/[^/]*$/, "") || "/";
  }
  return undefined;
}
