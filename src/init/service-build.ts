import type { Instruction } from "../dockerfile/inputs.js";
import { knownService, type KnownService } from "../spec/known-services.js";

/** The image a Dockerfile's final stage starts from, and the table's entry for it. */
export interface ServiceBase {
  image: string;
  known: KnownService;
}

/**
 * The well-known service a Dockerfile builds on: its final stage starts, directly or through
 * earlier stages (`FROM postgres:16 AS db`, `FROM db`), from an image of the known-services table.
 * Such a Dockerfile (a database with its init scripts or configuration) makes a service of the
 * tests, not an image to test. `ARG`s before the first FROM are read with their defaults, over
 * which `args` (compose's build args) apply.
 */
export function serviceBuildBase(instructions: readonly Instruction[], args: Readonly<Record<string, string>> = {}): ServiceBase | undefined {
  const vars = new Map<string, string>();
  const stages = new Map<string, string>();
  let base: string | undefined;
  for (const i of instructions) {
    if (i.op === "ARG" && base === undefined) {
      const m = /^([A-Za-z_]\w*)(?:=(.*))?$/.exec(i.args.trim());
      if (m) vars.set(m[1]!, args[m[1]!] ?? m[2]?.replace(/^(["'])(.*)\1$/, "$2") ?? "");
    } else if (i.op === "FROM") {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const image = words[0]!.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (all, name: string) => vars.get(name) ?? all);
      // A stage built on an earlier one starts where that one started.
      base = stages.get(image.toLowerCase()) ?? image;
      if (words[1]?.toUpperCase() === "AS" && words[2]) stages.set(words[2].toLowerCase(), base);
    }
  }
  const known = base === undefined ? undefined : knownService(base);
  return known && base ? { image: base, known } : undefined;
}

/**
 * A Dockerfile that builds a well-known service (its final stage is FROM postgres, mysql, redis
 * ...): a service of the tests, not an image to test. See serviceBuildBase.
 */
export const isServiceBuild = (instructions: readonly Instruction[]): boolean => serviceBuildBase(instructions) !== undefined;
