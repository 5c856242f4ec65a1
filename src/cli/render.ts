import { formatDiagnostic, type Diagnostic } from "../diagnostics.js";

/** The one place diagnostics are printed: text lines, or JSON with --json. */
export function printDiagnostics(list: readonly Diagnostic[], json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ diagnostics: list }, null, 2) + "\n");
    return;
  }
  for (const d of list) process.stderr.write(formatDiagnostic(d) + "\n");
  const errors = list.filter((d) => d.severity === "error").length;
  if (errors) process.stderr.write(`${errors} error${errors === 1 ? "" : "s"}; nothing was written.\n`);
}
