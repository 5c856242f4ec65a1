import { Codes, type Diagnostic } from "../diagnostics.js";
import type { SourceDoc } from "../spec/load.js";
import { phases } from "./v1/commands.js";
import { isObj, LANGUAGES, type Obj, PHASES, readCtx, SECTIONS, str } from "./v1/context.js";
import { readDeployments } from "./v1/deployment.js";
import { readGeneral } from "./v1/general.js";
import { readMachine } from "./v1/machine.js";

/**
 * CircleCI 1.0 `circle.yml`, read into a model with the source position of every command.
 * Wrong nesting that has one meaning is repaired with a warning; the rest is an error.
 * @see CircleCI 1.0 configuration reference (circle.yml)
 */
export interface Pos {
  line: number;
  column: number;
}
export interface Command {
  command: string;
  timeout?: number;
  pwd?: string;
  environment?: Record<string, string>;
  parallel?: boolean;
  files?: string[];
  background?: boolean;
  /** modifiers it does not know, kept for the report */
  unknown: string[];
  at: Pos;
}
export interface Phases {
  pre: Command[];
  override: Command[];
  post: Command[];
  /** the section was written (even empty) */
  present: boolean;
}
export interface Deployment {
  name: string;
  branches: string[];
  tags: string[];
  owner?: string;
  commands: Command[];
  heroku?: { appname: string; at: Pos };
  at: Pos;
}
export interface Note {
  at: Pos;
  what: string;
  why: string;
}
export interface V1Config {
  machine: Phases & {
    environment: { key: string; value: string; at: Pos }[];
    timezone?: { value: string; at: Pos };
    hosts: { host: string; ip: string; at: Pos }[];
    languages: { name: string; version: string; at: Pos }[];
    services: { name: string; at: Pos }[];
  };
  checkout: Phases;
  dependencies: Phases & { cacheDirectories: { path: string; at: Pos }[]; bundlerWithout?: string[] };
  database: Phases;
  compile: Phases;
  test: Phases & { minitestGlobs: string[] };
  deployments: Deployment[];
  general: { branchesOnly: string[]; branchesIgnore: string[]; buildDir?: string; artifacts: { path: string; at: Pos }[] };
  /** what needs a person: mapped only in part, or not at all */
  notes: Note[];
  /** every source line that holds something, for the report */
  lines: Set<number>;
}

export function readV1(src: SourceDoc): { config?: V1Config; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const root = src.value;
  const notes: Note[] = [];
  const lines = new Set<number>();
  // Before the file is known to be a mapping of sections, errors are said at the document.
  const { pos, diag } = readCtx(src, {}, diagnostics, notes, lines);

  if (root === null || root === undefined) {
    diag("error", Codes.notV1Config, [], "The file is empty: nothing to migrate.");
    return { diagnostics };
  }
  if (!isObj(root)) {
    diag("error", Codes.notV1Config, [], "A circle.yml is a mapping of sections (machine, dependencies, test, deployment, ...).", "value");
    return { diagnostics };
  }
  if ("version" in root || "jobs" in root || "workflows" in root) {
    diag(
      "error",
      Codes.notV1Config,
      "version" in root ? ["version"] : "jobs" in root ? ["jobs"] : ["workflows"],
      `This is already a CircleCI 2.x config (it has '${"version" in root ? "version" : "jobs" in root ? "jobs" : "workflows"}'): there is nothing to migrate.`,
    );
    return { diagnostics };
  }
  const ctx = readCtx(src, root, diagnostics, notes, lines);
  const { note } = ctx;
  for (const key of Object.keys(root)) {
    lines.add(pos([key]).line);
    if (PHASES.includes(key))
      diag(
        "error",
        Codes.misnestedSection,
        [key],
        `'${key}:' belongs inside a section (dependencies, database, compile, test or machine); it is at the top level. Indent it under the section it is for.`,
      );
    else if (!SECTIONS.includes(key)) diag("warning", Codes.unknownV1Key, [key], `Unknown section '${key}': not migrated (CircleCI 1.0 ignored it too).`);
  }

  const machine = readMachine(ctx, phases(ctx, "machine", ["environment", "timezone", "hosts", "services", ...LANGUAGES]));
  const checkout = phases(ctx, "checkout");
  const deps = phases(ctx, "dependencies", ["cache_directories", "bundler"]);
  const cacheDirectories: V1Config["dependencies"]["cacheDirectories"] = [];
  const cd = deps.rest.cache_directories;
  (Array.isArray(cd) ? cd : cd ? [cd] : []).forEach((p, i) => {
    lines.add(pos(["dependencies", "cache_directories", i], "value").line);
    cacheDirectories.push({ path: str(p), at: pos(["dependencies", "cache_directories", Array.isArray(cd) ? i : 0], "value") });
  });
  let bundlerWithout: string[] | undefined;
  if (isObj(deps.rest.bundler)) {
    lines.add(pos(["dependencies", "bundler"]).line);
    const w = deps.rest.bundler.without;
    bundlerWithout = (Array.isArray(w) ? w : w ? [w] : []).map(str);
  }
  const database = phases(ctx, "database");
  const compile = phases(ctx, "compile");
  const test = phases(ctx, "test", ["minitest_globs"]);
  const mg = test.rest.minitest_globs;
  const minitestGlobs = (Array.isArray(mg) ? mg : mg ? [mg] : []).map(str);
  if (minitestGlobs.length)
    note(
      ["test", "minitest_globs"],
      "test.minitest_globs",
      "CircleCI 2 splits tests itself: run your tests with `circleci tests glob ... | circleci tests split` and set parallelism.",
    );

  const deployments = readDeployments(ctx);
  const general = readGeneral(ctx);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return {
    config: {
      machine,
      checkout: strip(checkout),
      dependencies: { ...strip(deps), cacheDirectories, bundlerWithout },
      database: strip(database),
      compile: strip(compile),
      test: { ...strip(test), minitestGlobs },
      deployments,
      general,
      notes,
      lines,
    },
    diagnostics,
  };
}

function strip(p: Phases & { rest: Obj }): Phases {
  return { pre: p.pre, override: p.override, post: p.post, present: p.present };
}

/** Every command of the config, in 1.0 order. */
export function allCommands(c: V1Config): Command[] {
  const ph = (p: Phases) => [...p.pre, ...p.override, ...p.post];
  return [
    ...ph(c.machine),
    ...ph(c.checkout),
    ...ph(c.dependencies),
    ...ph(c.database),
    ...ph(c.compile),
    ...ph(c.test),
    ...c.deployments.flatMap((d) => d.commands),
  ];
}
