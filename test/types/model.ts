// Type-level checks, run by `npm run lint` (tsc -p tsconfig.test.json): each @ts-expect-error line
// must fail to type-check, or the lint fails.
import type { StepShape } from "../../src/model/circleci.js";

// @ts-expect-error: restore_cache misspelt
export const typo: StepShape = { restor_cache: { keys: ["deps-"] } };
// @ts-expect-error: only gen-circle's own commands are invoked by name
export const foreign: StepShape = { "node/install": { version: "20" } };
export const ours: StepShape = { "gen-circle-test": { image: "app" } };
