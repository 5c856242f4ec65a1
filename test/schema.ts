import AjvModule from "ajv";
import addFormats from "ajv-formats";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHARED } from "./helpers.js";

/**
 * CircleCI's published JSON schema for config.yml: GEN_CIRCLE_CIRCLECI_SCHEMA, else the shared
 * folder beside the checkout (oracle/circleci-config.schema.json), which CI always has.
 */
export const CIRCLECI_SCHEMA = process.env.GEN_CIRCLE_CIRCLECI_SCHEMA ?? join(SHARED, "oracle/circleci-config.schema.json");
export const hasCircleciSchema = existsSync(CIRCLECI_SCHEMA);
/**
 * Whether the tests against CircleCI's schema run: where it is found, and always in CI (where a
 * missing schema is a failure). Elsewhere they are skipped under a name that says why, and the
 * tests against our own subset schema still run.
 */
export const runCircleciSchema = hasCircleciSchema || !!process.env.CI;
export const circleciSchemaTitle = hasCircleciSchema
  ? "CircleCI's published schema accepts the config"
  : `CircleCI's published schema accepts the config (not found at ${CIRCLECI_SCHEMA}: set GEN_CIRCLE_CIRCLECI_SCHEMA to its path)`;

// ajv is CommonJS: under NodeNext its default export is the module object.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => {
  compile(schema: unknown): ((v: unknown) => boolean) & { errors?: unknown };
};

let oracle: ((v: unknown) => boolean) & { errors?: unknown };
let subset: ((v: unknown) => boolean) & { errors?: unknown };

/** Errors of `config` against our own subset of CircleCI's schema (test/circleci-subset.schema.json). */
export function subsetSchemaErrors(config: unknown): string[] {
  if (!subset) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    subset = ajv.compile(JSON.parse(readFileSync(join(ROOT, "test/circleci-subset.schema.json"), "utf8")));
  }
  return subset(config) ? [] : ["subset: " + JSON.stringify(subset.errors)];
}

/** Errors of `config` against CircleCI's published schema; its absence is one. */
export function circleciSchemaErrors(config: unknown): string[] {
  if (!hasCircleciSchema) return [`CircleCI's schema is missing (${CIRCLECI_SCHEMA}): CI runs with the shared folder beside the checkout`];
  if (!oracle) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ((addFormats as unknown as { default?: (a: unknown) => void }).default ?? (addFormats as unknown as (a: unknown) => void))(ajv);
    oracle = ajv.compile(JSON.parse(readFileSync(CIRCLECI_SCHEMA, "utf8")));
  }
  return oracle(config) ? [] : ["circleci: " + JSON.stringify(oracle.errors).slice(0, 2000)];
}
