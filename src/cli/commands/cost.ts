import { existsSync } from "node:fs";
import { Codes } from "../../diagnostics.js";
import { assumptionsFor } from "../../cost/assumptions.js";
import { CostError, costOfGenerated, SCENARIOS } from "../../cost/estimate.js";
import { renderCost } from "../../cost/render.js";
import type { Assumptions, Scenario } from "../../cost/simulate.js";
import { ConfigError } from "../../run/expand.js";
import { cliError, ExitStatus } from "../exit.js";
import { type ArgsOf, checkValues } from "../options.js";
import { CacheStore } from "../run/cache-store.js";
import { generateProject } from "../project.js";
import { printDiagnostics } from "../render.js";

type CostArgs = ArgsOf<"cost">;

/** `gen-circle cost`: the pipeline this spec generates (in memory), played per ref and scenario. */
export async function runCost(args: CostArgs): Promise<ExitStatus> {
  checkValues("cost", args);
  // A valid spec's warnings: in the JSON document with --json, else on stderr.
  const { input, result } = await generateProject(args, true);
  const warnings = result.diagnostics;
  if (!args.json && warnings.length) printDiagnostics(warnings, false);
  const { assumptions, notes } = assumptionsOf(args);
  const scenario = args.scenario;
  if (scenario !== undefined && !SCENARIOS.some((s) => s.id === scenario))
    throw cliError(Codes.cliUsage, `--scenario ${scenario}: choose one of ${SCENARIOS.map((s) => s.id).join(", ")}.`);
  const ids = result.spec!.images.map((i) => i.id);
  if (args.changed !== undefined && (!result.spec!.changes || (!["every", "none"].includes(args.changed) && !ids.includes(args.changed))))
    throw cliError(
      Codes.cliUsage,
      result.spec!.changes
        ? `--changed ${args.changed}: choose every, none or an image id (${ids.join(", ")}).`
        : "--changed needs changes: in the spec (only what changed runs).",
    );
  try {
    const refs = costOfGenerated(result, {
      workflow: args.workflow,
      ref: args.tag ? { tag: args.tag } : args.branch ? { branch: args.branch } : undefined,
      scenarios: scenario ? [scenario as Scenario] : undefined,
      changed: args.changed,
      rates: pairs(args.rate, "--rate", "machine.large=20"),
      assumptions,
    });
    if (args.json) process.stdout.write(JSON.stringify({ spec: input.display, diagnostics: warnings, assumptions: notes, refs }, null, 2) + "\n");
    else process.stdout.write(`gen-circle cost: ${input.display}, as generated\n\n${renderCost(refs, notes)}`);
    return ExitStatus.Ok;
  } catch (e) {
    if (e instanceof CostError || e instanceof ConfigError) throw cliError(e.code, e.message);
    throw e;
  }
}

function assumptionsOf(args: CostArgs): { assumptions: Assumptions; notes: string[] } {
  const minutes = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw cliError(Codes.cliUsage, `--${name} takes minutes (a number), got '${v}'.`);
    return n;
  };
  return assumptionsFor({
    archiveMb: archiveSizes(args.archiveMb),
    measured: args.cacheDir ? measuredSizes(args.cacheDir) : undefined,
    suiteMinutes: minutes(args.suiteMin, "suite-min"),
    depsBuildMinutes: minutes(args.depsMin, "deps-min"),
    codeBuildMinutes: minutes(args.codeMin, "code-min"),
  });
}

// "500" (every image) or "app=300,api=120".
function archiveSizes(value: string | undefined): Map<string, number> {
  if (value === undefined) return new Map();
  if (/^\d+(\.\d+)?$/.test(value)) return new Map([["*", Number(value)]]);
  return new Map(Object.entries(pairs(value, "--archive-mb", "app=300")));
}

function pairs(value: string | undefined, option: string, example: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (value ?? "").split(",").filter(Boolean)) {
    const m = /^([A-Za-z0-9_.+-]+)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) throw cliError(Codes.cliUsage, `${option} takes NAME=NUMBER pairs separated by commas, e.g. ${option} ${example}; got '${part}'.`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

// Each path's newest entry in a `gen-circle run` cache folder: what a save of it weighs.
function measuredSizes(dir: string): Map<string, number> {
  if (!existsSync(dir)) throw cliError(Codes.notAFolder, `--cache-dir ${dir}: no such folder (gen-circle run prints its cache folder).`);
  const sizes = new Map<string, { bytes: number; created: number }>();
  for (const e of new CacheStore(dir).list())
    for (const p of e.paths) if (e.paths.length === 1 && (sizes.get(p)?.created ?? -1) < e.created) sizes.set(p, { bytes: e.bytes, created: e.created });
  return new Map([...sizes].map(([p, v]) => [p, v.bytes]));
}
