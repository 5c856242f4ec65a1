import type { Options } from "yargs";

/**
 * The options of each command, declared once: yargs builds --help and usage errors from them,
 * and `fastParse` reads the plain invocations CI and hooks make (`gen-circle check`) without
 * loading yargs, which would take as long as the rest of the check together.
 */
const spec: Options = { type: "string", describe: "Spec file (default: gen-circle.yml in --dir)" };
const dir: Options = { type: "string", describe: "Repository root (default: the current folder)" };
const json: Options = { type: "boolean", default: false, describe: "Print diagnostics as JSON" };

export const commandOptions = {
  init: { dir, force: { type: "boolean", default: false, describe: "Overwrite an existing gen-circle.yml" } },
  generate: {
    spec,
    dir,
    json,
    "dry-run": { type: "boolean", default: false, describe: "Print the changes as a diff; write nothing" },
    force: { type: "boolean", default: false, describe: "Overwrite generated files edited by hand" },
  },
  check: { spec, dir, json },
  validate: { spec, dir, json },
  hash: {
    spec,
    dir,
    json,
    image: { type: "string", describe: "Image id (default: every image)" },
    list: { type: "boolean", default: false, describe: "List the input files instead" },
  },
} satisfies Record<string, Record<string, Options>>;

export type CommandName = keyof typeof commandOptions;

/** Parses `command [--opt value | --opt=value | --flag]...`; anything else is left to yargs. */
export function fastParse(argv: string[]): { command: CommandName; args: Record<string, unknown> } | undefined {
  const [command, ...rest] = argv;
  if (!command || !(command in commandOptions)) return undefined;
  const opts = commandOptions[command as CommandName] as Record<string, Options>;
  const args: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(opts)) if (o.default !== undefined) args[camel(name)] = o.default;
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]!);
    if (!m) return undefined;
    const o = opts[m[1]!];
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
  return { command: command as CommandName, args };
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
