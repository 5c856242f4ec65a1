import { Codes } from "../../diagnostics.js";
import type { ProjectSplit, ProjectTest, Test } from "../types.js";
import { cleanPath, entries, type Reporter } from "./context.js";

/** `test:` (of an entry of images:, or the top level's for the single image): command, folders, split. */
export function normalizeTest(t: ProjectTest, path: (string | number)[], r: Reporter): Test {
  if (typeof t === "string") return { command: { shell: t }, environment: [], passEnv: [], parallelism: 1, results: junitFolder(t) };
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
  return {
    command: Array.isArray(t.command) ? { exec: t.command } : { shell: t.command },
    environment: entries(t.environment),
    passEnv: t.pass_env ?? [],
    results: t.results ?? junitFolder(Array.isArray(t.command) ? t.command.join(" ") : t.command),
    artifacts: t.artifacts,
    parallelism: t.parallelism ?? 1,
    split: normalizeSplit(t.split, [...path, "split"], r),
    workdir: t.workdir,
    user: t.user,
  };
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
