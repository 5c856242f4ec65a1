import { codegen } from "../../scripts/codegen.mjs";

/**
 * The unit tests import src/ and the modules generated from the schema and the templates: those are
 * made here, in this process, when their sources changed (no build, no install, no lock: a unit run
 * never waits behind anything).
 */
export default async function setup(): Promise<void> {
  await codegen();
}
