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

/**
 * Every user-facing diagnostic: its code and what it means, one table (README's list of codes is
 * this table, and a test holds the two equal). The message at each site says the particulars and
 * what to do. Never reuse or renumber a code.
 */
export const Diagnostics = {
  // gen-circle.yml
  yamlSyntax: ["GC1001", "The file is not valid YAML"],
  unknownKey: ["GC1002", "A key the spec does not have (with the nearest known key)"],
  wrongType: ["GC1003", "A value of the wrong type"],
  missingKey: ["GC1004", "A required key is missing"],
  notAllowed: ["GC1005", "A key that is not allowed in that place"],
  invalidValue: ["GC1006", "A value outside what the key accepts"],
  invalidImageRef: ["GC1010", "Not a docker image reference"],
  imageNameWithTag: ["GC1011", "An image name with a tag where a repository is wanted"],
  invalidRegex: ["GC1012", "A branch or tag pattern that is not a regular expression"],
  duplicateName: ["GC1013", "Two images or services with one name"],
  hashMatchesNothing: ["GC1014", "A hash input that matches no file"],
  undefinedRegistry: ["GC1015", "A registry name not defined in registries:"],
  unsafeText: ["GC1017", "Text that cannot be passed safely to the shell or YAML"],
  invalidTagTemplate: ["GC1018", "An image tag template with an unknown placeholder or an invalid result"],
  unsupportedRegex: ["GC1019", "A pattern that CircleCI (Java) and bash would read differently"],
  imageMissing: ["GC1020", "Neither image: nor images:"],
  duplicateKey: ["GC1021", "A key written twice in one mapping"],
  registryCacheNeedsRegistry: ["GC1023", "The registry cache without a registry"],
  ruleBranchOrTag: ["GC1024", "A deploy rule without branch or tag"],
  pathEscapes: ["GC1025", "A path that leaves the repository"],
  containerPath: ["GC1026", "A container path that is not absolute"],
  emptySpec: ["GC1027", "An empty spec"],
  fileUnreadable: ["GC1028", "An input file that does not exist or cannot be read"],
  dockerfileMissing: ["GC1029", "No Dockerfile at the path the spec names"],
  contextMissing: ["GC1030", "No build context folder at the path the spec names"],
  hashMissesDockerInput: ["GC1031", "The Dockerfile copies, before its install step, a file the hash does not cover"],
  imageAndImages: ["GC1032", "Both image: and images:"],
  parallelismWithoutSplit: ["GC1033", "Parallel test nodes with nothing to share the tests among them"],
  timingsWithoutFiles: ["GC1034", "Split by timings with a test runner whose JUnit report may name no files"],
  hashOutsideContext: ["GC1040", "A hash input outside the image's build context (the build cannot read it)"],
  buildArgVariable: ["GC1041", "A build arg whose value holds a $VAR or ${VAR}, which gen-circle does not fill in"],
  imageUnused: ["GC1042", "An image that nothing tests or deploys: no job builds it"],
  entrypointWords: ["GC1043", "A test entrypoint of several words: docker runs it as one program of that name"],
  baseArgUnset: ["GC1044", "A FROM that reads an ARG with no default and no build arg: the build fails"],
  testCannotFail: ["GC1045", "A test command that passes when the tests fail (a trailing or-true, Maven's --fail-never)"],
  // migrate (circle.yml 1.0)
  notV1Config: ["GC2001", "Not a CircleCI 1.0 circle.yml"],
  misnestedSection: ["GC2002", "A section nested under another, or a phase key outside any section"],
  unknownV1Key: ["GC2003", "A key CircleCI 1.0 did not have: not migrated"],
  v1CommandShape: ["GC2004", "A command that is neither a string nor 'command: {options}'"],
  v1ListExpected: ["GC2005", "A single value where 1.0 wants a list"],
  v1PhaseShape: ["GC2006", "A section that does not hold pre/override/post lists"],
  v1MappingExpected: ["GC2007", "A list or value where 1.0 wants a mapping"],
  v1DeploymentShape: ["GC2008", "A deployment entry without branch/tag or commands"],
  noSpecWritten: ["GC2009", "migrate --spec wrote no gen-circle.yml: the file builds no docker image gen-circle could take over"],
  // run (a CircleCI 2.1 config)
  runUnsupported: ["GC3001", "Something gen-circle run does not run (orbs, macOS, matrix...): CircleCI itself is needed"],
  runReference: ["GC3002", "A workflow, job, executor or required job that is not defined"],
  runParameter: ["GC3003", "A parameter that is unknown, missing or of the wrong type"],
  runCondition: ["GC3004", "A when/unless condition CircleCI would refuse"],
  runShape: ["GC3005", "A step, job or workflow of the wrong shape"],
  runValue: ["GC3006", "A value CircleCI would refuse (a duration, a pattern)"],
  // the command line
  cliUsage: ["GC4001", "A command line gen-circle's usage refuses (an unknown option, a flag without its value, -e without =)"],
  notInGit: ["GC4002", "gen-circle run outside a git repository, or before its first commit"],
  noSuchName: ["GC4003", "A workflow, job or image that the command line names and the input does not have"],
  notAFolder: ["GC4004", "--dir is not a folder"],
  wouldOverwrite: ["GC4005", "A write refused: the file exists, or was edited by hand (--force)"],
  uncommitted: ["GC4006", "gen-circle run with uncommitted generated files (commit, or --dirty)"],
  // check (a generated file against the spec)
  fileMissing: ["GC5001", "A file the spec generates is missing"],
  fileOrphan: ["GC5002", "An orphan: a generated file the spec no longer generates"],
  fileHandEdited: ["GC5003", "A generated file edited by hand"],
  fileOutOfDate: ["GC5004", "A generated file out of date with the spec"],
  fileNotGenerated: ["GC5005", "A file gen-circle did not write where it generates one"],
  fileNotExecutable: ["GC5006", "A generated script that is not executable"],
} as const satisfies Record<string, readonly [string, string]>;

type Table = typeof Diagnostics;
/** The codes by name: `Codes.unknownKey` is "GC1002". */
export const Codes = Object.fromEntries(Object.entries(Diagnostics).map(([k, [code]]) => [k, code])) as { [K in keyof Table]: Table[K][0] };

/** What each code means, by code (README lists these). */
export const codeTitles: ReadonlyMap<string, string> = new Map(Object.values(Diagnostics).map(([code, title]) => [code, title]));

export type Code = (typeof Codes)[keyof typeof Codes];

/** Sorted by position, then code: a stable order for output and snapshots. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
  );
}

/** `gen-circle.yml:12:5 error GC1003: message` — the one rendering used by the CLI. */
export function formatDiagnostic(d: Pick<Diagnostic, "file" | "line" | "column" | "severity" | "code" | "message">): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}`;
}

/** An error of the command line itself, with no file position: `error GC4004: message`. */
export function formatCliError(code: Code, message: string): string {
  return `error ${code}: ${message}`;
}

export const hasErrors = (list: readonly Diagnostic[]): boolean => list.some((d) => d.severity === "error");
