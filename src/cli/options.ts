import type { Options, PositionalOptions } from "yargs";
import { Codes } from "../diagnostics.js";
import { cliError } from "./exit.js";

/**
 * An option of a command: yargs reads its type, description, default and alias for --help and
 * usage errors. `needsValue` (an example value) makes a blank value a usage error: `--branch` last
 * on the line parses as "", which would otherwise read as "no branch given".
 */
export type OptionSpec = Options & { needsValue?: string };

/** A command's positionals (in order) and options, in the order --help lists them. */
export interface CommandArgs {
  positionals?: Record<string, PositionalOptions>;
  options: Record<string, OptionSpec>;
}

const spec = { type: "string", describe: "Spec file (default: gen-circle.yml in --dir)" } satisfies OptionSpec;
const dir = { type: "string", describe: "Repository root (default: the current folder)" } satisfies OptionSpec;
const json = { type: "boolean", default: false, describe: "Print diagnostics as JSON" } satisfies OptionSpec;

/**
 * Every command's arguments, declared once: main.ts builds yargs from it, `fastParse` reads the
 * plain invocations CI and hooks make (`gen-circle check`) without loading yargs, which would take
 * as long as the rest of the check together, and `checkValues` applies `needsValue`.
 */
export const commandArgs = {
  init: { options: { dir, force: { type: "boolean", default: false, describe: "Overwrite an existing gen-circle.yml" } } },
  generate: {
    options: {
      spec,
      dir,
      json,
      "dry-run": { type: "boolean", default: false, describe: "Print the changes as a diff; write nothing" },
      force: { type: "boolean", default: false, describe: "Overwrite generated files edited by hand" },
    },
  },
  check: { options: { spec, dir, json } },
  validate: { options: { spec, dir, json } },
  hash: {
    options: {
      spec,
      dir,
      json,
      image: { type: "string", describe: "Image id (default: every image)" },
      list: { type: "boolean", default: false, describe: "List the input files instead" },
    },
  },
  cost: {
    options: {
      spec,
      dir,
      branch: { type: "string", describe: "Only this branch (default: one per kind of push the filters tell apart)", needsValue: "main" },
      tag: { type: "string", describe: "Only this git tag", needsValue: "v1.2.3" },
      scenario: { type: "string", describe: "Only this scenario: code, deps, first or rerun", needsValue: "code" },
      changed: { type: "string", describe: "With changes: in the spec, only this case: every (image changed), none, or an image id", needsValue: "api" },
      "archive-mb": { type: "string", describe: "Image archive size in MB, for all images or per image (app=300,api=120)", needsValue: "500" },
      "cache-dir": { type: "string", describe: "Take cache sizes from a gen-circle run cache folder (measured)" },
      "suite-min": { type: "string", describe: "Minutes the test suite takes on one node (default 4)", needsValue: "4" },
      "deps-min": { type: "string", describe: "Minutes to build the dependency layers (default 3)", needsValue: "3" },
      "code-min": { type: "string", describe: "Minutes to build the layers after the code is copied in (default 0.5)", needsValue: "0.5" },
      rate: { type: "string", describe: "Credits per minute for a class the table lacks (machine.large=20,docker.xlarge=40)", needsValue: "machine.large=20" },
      workflow: { type: "string", describe: "Workflow (default: the only one)", needsValue: "gen-circle" },
      json: { type: "boolean", default: false, describe: "Print the estimate as JSON" },
    },
  },
  migrate: {
    positionals: { file: { type: "string", describe: "The 1.0 config (default circle.yml)" } },
    options: {
      out: { type: "string", describe: "Where to write .circleci/config.yml (default: the file's folder)" },
      spec: { type: "boolean", default: false, describe: "Also write gen-circle.yml when the file builds docker images" },
      "dry-run": { type: "boolean", default: false, describe: "Print the result; write nothing" },
      force: { type: "boolean", default: false, describe: "Overwrite an existing config" },
      report: { type: "string", describe: "Write the migration report (Markdown) to this file" },
      json,
    },
  },
  run: {
    positionals: { workflow: { type: "string", describe: "Workflow to run (default: the only one)" } },
    options: {
      job: { type: "string", describe: "Run only this job", needsValue: "test-app" },
      branch: { type: "string", describe: "Branch the filters see (default: the current git branch)", needsValue: "main" },
      tag: { type: "string", describe: "Run as for this git tag", needsValue: "v1.2.3" },
      config: { type: "string", describe: "Config file (default .circleci/config.yml)", needsValue: ".circleci/config.yml" },
      "cache-dir": { type: "string", describe: "Where save_cache keeps caches (default ~/.cache/gen-circle/<repo>/cache)" },
      output: { type: "string", describe: "Job folders, workspace and artifacts (default ~/.cache/gen-circle/<repo>/run)" },
      env: { alias: "e", type: "string", array: true, describe: "KEY=VALUE for the jobs (secrets)" },
      dirty: { type: "boolean", default: false, describe: "Include uncommitted changes in the checkout" },
      dir: { type: "string", describe: "Repository (default: the current folder)" },
    },
  },
} satisfies Record<string, CommandArgs>;

type Table = typeof commandArgs;
export type CommandName = keyof Table;
/** The commands without positionals: the ones `fastParse` may read. */
export type FastCommand = { [C in CommandName]: Table[C] extends { positionals: object } ? never : C }[CommandName];

type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
type ValueOf<O> = O extends { array: true } ? string[] : O extends { type: "boolean" } ? boolean : string;
/** A command's parsed arguments, as yargs hands them over (options by their camelCase names). */
export type ArgsOf<C extends CommandName> = {
  [K in keyof Table[C]["options"] as Camel<K & string>]?: ValueOf<Table[C]["options"][K]>;
} & (Table[C] extends { positionals: infer P } ? { [K in keyof P]?: string } : unknown);

/** Parses `command [--opt value | --opt=value | --flag]...`; anything else is left to yargs. */
export function fastParse(argv: string[]): { command: FastCommand; args: Record<string, unknown> } | undefined {
  const [command, ...rest] = argv;
  // Own keys only: a name such as `constructor` is no command (nor, below, an option).
  if (!command || !Object.hasOwn(commandArgs, command)) return undefined;
  const { positionals, options: opts } = commandArgs[command as CommandName] as CommandArgs;
  // run and migrate: fastParse reads no positionals (nor run's -e alias and --env list).
  if (positionals) return undefined;
  const args: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(opts)) if (o.default !== undefined) args[camel(name)] = o.default;
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]!);
    if (!m) return undefined;
    const o = Object.hasOwn(opts, m[1]!) ? opts[m[1]!] : undefined;
    if (!o) return undefined;
    if (o.type === "boolean") {
      if (m[2] !== undefined) return undefined;
      args[camel(m[1]!)] = true;
    } else {
      const value = m[2] ?? rest[++i];
      if (value === undefined || value.startsWith("--")) return undefined;
      args[camel(m[1]!)] = value;
    }
  }
  return { command: command as FastCommand, args };
}

/** Throws the usage error for the first option, in the table's order, given blank when it `needsValue`. */
export function checkValues(command: CommandName, args: Record<string, unknown>): void {
  for (const [name, o] of Object.entries(commandArgs[command].options as Record<string, OptionSpec>)) {
    const value = args[camel(name)] as string | undefined;
    if (o.needsValue !== undefined && value !== undefined && value.trim() === "")
      throw cliError(Codes.cliUsage, `--${name} needs a value, e.g. --${name} ${o.needsValue}.`);
  }
}

/** The table's yargs fields of an option (yargs is not told about `needsValue`). */
export function yargsOption({ needsValue: _, ...o }: OptionSpec): Options {
  return o;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
