import { stringify } from "yaml";
import type { CircleConfigShape } from "../model/circleci.js";

/**
 * One YAML call with fixed options (no line folding, no anchors), so the same model always
 * gives the same bytes; prettier then normalizes the layout with explicit options.
 */
export function configYaml(config: CircleConfigShape): string {
  return stringify(config, {
    lineWidth: 0,
    minContentWidth: 0,
    aliasDuplicateObjects: false,
    indent: 2,
    indentSeq: true,
    singleQuote: false,
  });
}

let prettier: Promise<{ format: (src: string, opts: object) => Promise<string> }> | undefined;
let yamlPlugin: Promise<object> | undefined;

/**
 * The yaml library's output with our options is already prettier's, except where a scalar holds
 * a quote or a backslash (the two may quote it differently): only then is prettier loaded, which
 * keeps it off the start-up path of `check`. A test holds this over every fixture.
 */
export async function formatYaml(text: string): Promise<string> {
  return text.split("\n").some(quotedWithQuoteOrBackslash) ? prettierYaml(text) : text;
}

/** A line whose value is a quoted scalar holding a quote or a backslash. */
function quotedWithQuoteOrBackslash(line: string): boolean {
  const m = /^\s*(?:-\s+|[^"'#]*?:\s+)(["'])(.*)$/.exec(line);
  if (!m) return false;
  const body = m[2]!.endsWith(m[1]!) ? m[2]!.slice(0, -1) : m[2]!;
  return /["'\\]/.test(body);
}

/** prettier with explicit options: a user's .prettierrc never changes our output. */
export async function prettierYaml(text: string): Promise<string> {
  prettier ??= import("prettier/standalone");
  yamlPlugin ??= import("prettier/plugins/yaml");
  const [p, plugin] = await Promise.all([prettier, yamlPlugin]);
  return p.format(text, {
    parser: "yaml",
    plugins: [plugin],
    printWidth: 100,
    tabWidth: 2,
    useTabs: false,
    singleQuote: false,
    proseWrap: "preserve",
    bracketSpacing: true,
    endOfLine: "lf",
  });
}
