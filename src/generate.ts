import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { configYaml, formatYaml } from "./emit/config.js";
import { withHeader } from "./emit/header.js";
import { renderScript, SCRIPT_NAMES } from "./emit/scripts.js";
import { ARTIFACTS_DIR, plan, RESULTS_DIR, SCRIPTS_DIR } from "./model/plan.js";
import { CONTINUATION } from "./model/plan/changes.js";
import { load } from "./spec/load.js";
import { emptySpecDiagnostic, normalize, type NormalizeOptions } from "./spec/normalize.js";
import type { ProjectSpec, Spec } from "./spec/types.js";
import { validateShape } from "./spec/validate.js";

export interface GenerateOptions extends NormalizeOptions {
  /** Name of the spec file as shown in diagnostics (default gen-circle.yml). */
  fileName?: string;
  /**
   * The spec's path relative to the project root, named in the generated headers (default:
   * fileName). Not the path as typed: the output must not depend on the current folder.
   */
  specPath?: string;
}

export interface GeneratedFile {
  path: string;
  content: string;
  executable: boolean;
}

export interface GenerateResult {
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
  spec?: Spec;
}

/** A deep copy of a parsed document without the nodes at these JSON pointers. */
function withoutPaths(value: unknown, pointers: string[]): unknown {
  const copy = structuredClone(value);
  for (const pointer of pointers) {
    const keys = pointer
      .split("/")
      .slice(1)
      .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (!keys.length) continue;
    let node: unknown = copy;
    for (const k of keys.slice(0, -1)) node = node && typeof node === "object" ? (node as Record<string, unknown>)[k] : undefined;
    if (node && typeof node === "object" && !Array.isArray(node)) delete (node as Record<string, unknown>)[keys[keys.length - 1]!];
  }
  return copy;
}

/** Spec text → diagnostics, or the normalized spec. Pure. */
export function compileSpec(text: string, options: GenerateOptions = {}): { spec?: Spec; diagnostics: Diagnostic[] } {
  const file = options.fileName ?? "gen-circle.yml";
  const { source, diagnostics: syntax } = load(text, file);
  if (!source) return { diagnostics: sortDiagnostics(syntax) };
  if (source.value === null || source.value === undefined) return { diagnostics: [emptySpecDiagnostic(file)] };
  const shape = validateShape(source);
  if (hasErrors(shape)) {
    // Report the other problems too (all at once), where the shape allows checking them.
    let more: Diagnostic[] = [];
    try {
      // Checked without the values of the wrong shape (they are reported already), so that one
      // wrong type does not hide every other mistake in the file.
      more = normalize(
        withoutPaths(
          source.value,
          shape.map((d) => d.path),
        ) as ProjectSpec,
        source,
        options,
      ).diagnostics;
    } catch {
      // A value of the wrong type stopped the deeper checks: the shape errors come first.
    }
    const near = (a: string, b: string) => a === b || a.startsWith(b + "/") || b.startsWith(a + "/");
    more = more.filter((d) => !shape.some((s) => near(s.path, d.path)));
    return { diagnostics: sortDiagnostics([...syntax, ...shape, ...more]) };
  }
  const n = normalize(source.value as ProjectSpec, source, options);
  if (syntax.length) return { diagnostics: sortDiagnostics([...syntax, ...n.diagnostics]) };
  return { spec: n.spec, diagnostics: sortDiagnostics(n.diagnostics) };
}

/**
 * gen-circle.yml text → the files of the pipeline: `.circleci/config.yml` and the helper
 * scripts. Pure: no disk, clock or environment; the same text always gives the same bytes.
 */
export async function generate(text: string, options: GenerateOptions = {}): Promise<GenerateResult> {
  const file = options.specPath ?? options.fileName ?? "gen-circle.yml";
  const { spec, diagnostics } = compileSpec(text, options);
  if (!spec || hasErrors(diagnostics)) return { files: [], diagnostics };
  const pipeline = plan(spec);
  const config = await formatYaml(configYaml(pipeline.setup ?? pipeline.config));
  const files: GeneratedFile[] = [{ path: ".circleci/config.yml", content: withHeader(config, file), executable: false }];
  // With `changes:`, the setup job continues the pipeline with this config.
  if (pipeline.setup) files.push({ path: CONTINUATION, content: withHeader(await formatYaml(configYaml(pipeline.config)), file), executable: false });
  const view = { ...pipeline.view, resultsDir: RESULTS_DIR, artifactsDir: ARTIFACTS_DIR };
  for (const name of SCRIPT_NAMES) {
    if (name === "deploy.sh" && view.deploys.length === 0) continue;
    if (name === "changes.sh" && !view.changes) continue;
    const body = renderScript(name, view);
    const shebang = name === "lib.sh" ? undefined : "#!/usr/bin/env bash";
    files.push({ path: `${SCRIPTS_DIR}/${name}`, content: withHeader(body, file, shebang), executable: name !== "lib.sh" });
  }
  return { files, diagnostics, spec };
}
