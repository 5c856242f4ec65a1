/** gen-circle as a library: the pure core. The CLI is the only part that touches the disk. */
export { generate, compileSpec, type GenerateOptions, type GenerateResult, type GeneratedFile } from "./generate.js";
export { formatDiagnostic, Codes, type Diagnostic } from "./diagnostics.js";
export { hashSalt, imageHash, selectInputs, manifest } from "./hash/manifest.js";
export { readHeader } from "./emit/header.js";
export type { Spec, ProjectSpec } from "./spec/types.js";
export { migrate, type MigrateResult } from "./migrate/migrate.js";
