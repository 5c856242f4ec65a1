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

/** prettier with explicit options: a user's .prettierrc never changes our output. */
export async function formatYaml(text: string): Promise<string> {
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
