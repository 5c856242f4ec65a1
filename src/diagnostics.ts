/**
 * User mistakes are data: every message has a stable code, kept in one table so that docs,
 * tests and tooling can refer to it (the TypeScript compiler's diagnosticMessages idea).
 */
export type Severity = "error" | "warning";

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  /** JSON pointer of the offending value in the spec ("" for the document). */
  path: string;
}

/** Every user-facing diagnostic code. Never reuse or renumber a code. */
export const Codes = {
  yamlSyntax: "GC1001",
  unknownKey: "GC1002",
  wrongType: "GC1003",
  missingKey: "GC1004",
  notAllowed: "GC1005",
  invalidValue: "GC1006",
  invalidImageRef: "GC1010",
  imageNameWithTag: "GC1011",
  invalidRegex: "GC1012",
  duplicateName: "GC1013",
  hashMatchesNothing: "GC1014",
  undefinedRegistry: "GC1015",
  unsafeText: "GC1017",
  invalidTagTemplate: "GC1018",
  unsupportedRegex: "GC1019",
  imageMissing: "GC1020",
  duplicateKey: "GC1021",
  registryCacheNeedsRegistry: "GC1023",
  ruleBranchOrTag: "GC1024",
  pathEscapes: "GC1025",
  containerPath: "GC1026",
  emptySpec: "GC1027",
  fileUnreadable: "GC1028",
  dockerfileMissing: "GC1029",
  contextMissing: "GC1030",
  hashMissesDockerInput: "GC1031",
  // run (a CircleCI 2.1 config)
  runConfig: "GC3001",
  // migrate (circle.yml 1.0)
  notV1Config: "GC2001",
  misnestedSection: "GC2002",
  unknownV1Key: "GC2003",
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];

/** Sorted by position, then code: a stable order for output and snapshots. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
  );
}

/** `gen-circle.yml:12:5 error GC1003: message` — the one rendering used by the CLI. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}`;
}

export const hasErrors = (list: readonly Diagnostic[]): boolean => list.some((d) => d.severity === "error");
