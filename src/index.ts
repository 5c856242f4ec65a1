/** gen-circle as a library: the pure core. The CLI is the only part that touches the disk. */
export { generate, compileSpec, type GenerateOptions, type GenerateResult, type GeneratedFile } from "./generate.js";
export { formatDiagnostic, Codes, type Diagnostic } from "./diagnostics.js";
export { hashSalt, imageHash, selectInputs, manifest } from "./hash/manifest.js";
export { readHeader } from "./emit/header.js";
export type { Spec, ProjectSpec } from "./spec/types.js";
export { migrate, type MigrateResult } from "./migrate/migrate.js";
export { costOfConfig, costOfGenerated, estimateCost, SCENARIOS, type CostOptions, type RefCost, type ScenarioCost } from "./cost/estimate.js";
export { assumptionsFor, DEFAULTS as COST_DEFAULTS } from "./cost/assumptions.js";
export { COMPUTE_RATES, STORAGE, RATES_READ } from "./cost/rates.js";
export { renderCost } from "./cost/render.js";
