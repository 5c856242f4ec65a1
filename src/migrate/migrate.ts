import { formatYaml, configYaml } from "../emit/config.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics.js";
import { load } from "../spec/load.js";
import { toConfig, type Mapped } from "./to-config.js";
import { toSpec } from "./to-spec.js";
import { allCommands, readV1, type Note } from "./v1.js";

export interface MigrateResult {
  diagnostics: Diagnostic[];
  config?: string;
  spec?: string;
  /** Markdown: every source line and where it went; what needs a person */
  report?: string;
  notes: Note[];
  commands: string[];
}

/** circle.yml 1.0 text → a 2.1 config (and a gen-circle.yml when it builds docker images). Pure. */
export async function migrate(text: string, options: { fileName?: string; spec?: boolean } = {}): Promise<MigrateResult> {
  const file = options.fileName ?? "circle.yml";
  const { source, diagnostics } = load(text, file);
  if (!source) return { diagnostics: sortDiagnostics(diagnostics), notes: [], commands: [] };
  const read = readV1(source);
  const all = sortDiagnostics([...diagnostics, ...read.diagnostics]);
  if (!read.config || hasErrors(all)) return { diagnostics: all, notes: [], commands: [] };
  const { config, mapped, notes } = toConfig(read.config);
  const spec = options.spec ? toSpec(read.config, file) : undefined;
  if (spec) notes.push(...spec.notes);
  for (const d of all) if (d.severity === "warning") notes.push({ at: { line: d.line, column: d.column }, what: d.code, why: d.message });
  notes.sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
  const header = `# Migrated from ${file} (CircleCI 1.0) by gen-circle migrate: review the migration report.\n`;
  const body = await formatYaml(configYaml(config));
  const lines = text.split(/\r?\n/);
  return {
    diagnostics: all,
    config: header + body,
    spec: spec?.spec,
    report: report(file, lines, read.config.lines, mapped, notes, !!spec?.spec),
    notes,
    commands: allCommands(read.config).map((c) => c.command),
  };
}

function report(file: string, source: string[], lines: Set<number>, mapped: Mapped[], notes: Note[], wroteSpec: boolean): string {
  const out = [`# Migration report: ${file} → .circleci/config.yml${wroteSpec ? " and gen-circle.yml" : ""}`, ""];
  out.push(`## Needs a person (${notes.length})`, "");
  if (!notes.length) out.push("Nothing: every line mapped.", "");
  for (const n of notes) out.push(`- \`${file}:${n.at.line}:${n.at.column}\` ${n.what}: ${n.why}`);
  out.push("", "## Every line", "", `| ${file} | source | became |`, "| --- | --- | --- |");
  const byLine = new Map<number, string[]>();
  for (const m of mapped) byLine.set(m.at.line, [...(byLine.get(m.at.line) ?? []), m.to]);
  for (const n of notes) byLine.set(n.at.line, [...(byLine.get(n.at.line) ?? []), `needs a person: ${n.what}`]);
  for (const line of [...lines].sort((a, b) => a - b)) {
    const src = (source[line - 1] ?? "").trim().replace(/\|/g, "\\|");
    const to = byLine.get(line) ?? [
      /:\s*$/.test(src) || /^[\w-]+:/.test(src) ? "structure (section or key, mapped with its contents)" : "mapped with its section",
    ];
    out.push(`| ${line} | \`${src.length > 70 ? src.slice(0, 67) + "..." : src}\` | ${to.join("; ").replace(/\|/g, "\\|")} |`);
  }
  return out.join("\n") + "\n";
}
