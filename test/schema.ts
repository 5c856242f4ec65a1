import AjvModule from "ajv";
import addFormats from "ajv-formats";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHARED } from "./helpers.js";

const ORACLE = join(SHARED, "oracle/circleci-config.schema.json");

/** CircleCI's published schema when ../shared is beside the checkout (CI has it). */
export const hasOracle = existsSync(ORACLE);

// ajv is CommonJS: under NodeNext its default export is the module object.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o: object) => {
  compile(schema: unknown): ((v: unknown) => boolean) & { errors?: unknown };
};

let oracle: ((v: unknown) => boolean) & { errors?: unknown };
let subset: ((v: unknown) => boolean) & { errors?: unknown };

/** Errors of `config` against CircleCI's schema (if present) and our own subset schema. */
export function configSchemaErrors(config: unknown): string[] {
  const out: string[] = [];
  if (!subset) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    subset = ajv.compile(JSON.parse(readFileSync(join(ROOT, "test/circleci-subset.schema.json"), "utf8")));
  }
  if (!subset(config)) out.push("subset: " + JSON.stringify(subset.errors));
  // CI has ../shared beside the checkout: there a missing schema is a failure, not a skip.
  if (!hasOracle && process.env.CI) out.push(`CircleCI's schema is missing (${ORACLE}): CI runs with ../shared beside the checkout`);
  if (hasOracle) {
    if (!oracle) {
      const ajv = new Ajv({ strict: false, allErrors: true });
      ((addFormats as unknown as { default?: (a: unknown) => void }).default ?? (addFormats as unknown as (a: unknown) => void))(ajv);
      oracle = ajv.compile(JSON.parse(readFileSync(ORACLE, "utf8")));
    }
    if (!oracle(config)) out.push("oracle: " + JSON.stringify(oracle.errors).slice(0, 2000));
  }
  return out;
}
