import type HandlebarsApi from "handlebars";
import HandlebarsRuntime from "handlebars/runtime.js";
import { partials, templates } from "./generated/templates.js";
import type { ScriptsView } from "../model/plan.js";
import { shq } from "./shq.js";

/** A private Handlebars: no HTML escaping (this is bash), strict lookups, one quoting helper. */
const hb = (HandlebarsRuntime as unknown as typeof HandlebarsApi).create();
hb.registerHelper("shq", (v: unknown) => {
  if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
    throw new Error(`shq: expected a string, got ${typeof v}`);
  }
  return shq(v);
});
hb.registerHelper("concat", (...args: unknown[]) => args.slice(0, -1).join(""));
hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
// Parts of a template kept in files of their own (templates/scripts/partials/: one per cache
// strategy, the engine probe, the build-log reader).
for (const [name, spec] of Object.entries(partials)) hb.registerPartial(name, hb.template(spec));

const compiled = new Map<string, HandlebarsApi.TemplateDelegate>();

/** Renders templates/scripts/<name>.sh.hbs (precompiled into the package at build time). */
export function renderScript(name: string, view: ScriptsView & Record<string, unknown>): string {
  let t = compiled.get(name);
  if (!t) {
    const spec = templates[name];
    if (!spec) throw new Error(`no template ${name}`);
    t = hb.template(spec);
    compiled.set(name, t);
  }
  return t(view);
}

/** Renders one partial alone (templates/scripts/partials/<name>.hbs): for tests of that part. */
export function renderPartial(name: string, view: Record<string, unknown> = {}): string {
  const spec = partials[name];
  if (!spec) throw new Error(`no partial ${name}`);
  return hb.template(spec)(view);
}

export const SCRIPT_NAMES = ["lib.sh", "hash.sh", "image.sh", "test.sh", "deploy.sh", "changes.sh"] as const;
