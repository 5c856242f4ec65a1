import { Codes, type Diagnostic } from "../diagnostics.js";
import type { SourceDoc } from "../spec/load.js";
import { phases } from "./v1/commands.js";
import { isObj, LANGUAGES, type Obj, PHASES, readCtx, type ReadCtx, SECTIONS } from "./v1/context.js";
import { readDependencies } from "./v1/dependencies.js";
import { readDeployments } from "./v1/deployment.js";
import { readGeneral } from "./v1/general.js";
import { readMachine } from "./v1/machine.js";
import { readTest } from "./v1/test.js";

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
  const notes: Note[] = [];
  const lines = new Set<number>();
  // Before the file is known to be a mapping of sections, errors are said at the document.
  if (!isV1Root(src.value, readCtx(src, {}, diagnostics, notes, lines))) return { diagnostics };
  const ctx = readCtx(src, src.value, diagnostics, notes, lines);
  checkSections(ctx);
  // In 1.0 order: the diagnostics and notes come out in the order of the file's sections.
  const machine = readMachine(ctx, phases(ctx, "machine", ["environment", "timezone", "hosts", "services", ...LANGUAGES]));
  const checkout = strip(phases(ctx, "checkout"));
  const dependencies = readDependencies(ctx);
  const database = strip(phases(ctx, "database"));
  const compile = strip(phases(ctx, "compile"));
  const test = readTest(ctx);
  const deployments = readDeployments(ctx);
  const general = readGeneral(ctx);
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return { config: { machine, checkout, dependencies, database, compile, test, deployments, general, notes, lines }, diagnostics };
}

/** Whether the document is a 1.0 config: a mapping of sections, not empty, not already 2.x. */
function isV1Root(root: unknown, { diag }: ReadCtx): root is Obj {
  if (root === null || root === undefined) {
    diag("error", Codes.notV1Config, [], "The file is empty: nothing to migrate.");
    return false;
  }
  if (!isObj(root)) {
    diag("error", Codes.notV1Config, [], "A circle.yml is a mapping of sections (machine, dependencies, test, deployment, ...).", "value");
    return false;
  }
  const v2 = ["version", "jobs", "workflows"].find((k) => k in root);
  if (v2 !== undefined) {
    diag("error", Codes.notV1Config, [v2], `This is already a CircleCI 2.x config (it has '${v2}'): there is nothing to migrate.`);
    return false;
  }
  return true;
}

/** The top-level keys: phases written outside a section are an error, unknown sections a warning. */
function checkSections({ root, pos, diag, lines }: ReadCtx): void {
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
