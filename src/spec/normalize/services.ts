import { Codes } from "../../diagnostics.js";
import { parseReference } from "../docker-ref.js";
import type { ProjectService, Service } from "../types.js";
import { entries, type Reporter } from "./context.js";

/** `services:` (of an entry of images:, or the top level's), sorted by name: the order is stable. */
export function normalizeServices(map: Record<string, ProjectService>, path: (string | number)[], r: Reporter): Service[] {
  return Object.keys(map)
    .sort()
    .map((name) => normalizeService(name, map[name]!, [...path, name], r));
}

/** One service: its image (short form `name: image`), environment, command, ready probe and setup. */
function normalizeService(name: string, s: ProjectService, path: (string | number)[], r: Reporter): Service {
  const o = typeof s === "string" ? { image: s } : s;
  if (!parseReference(o.image)) {
    r.report(
      Codes.invalidImageRef,
      typeof s === "string" ? path : [...path, "image"],
      `${JSON.stringify(o.image)} is not a valid docker image reference. Use e.g. 'postgres:15' or 'redis:7-alpine'.`,
    );
  }
  const ready = o.ready === undefined ? undefined : typeof o.ready === "string" ? { command: o.ready } : o.ready;
  return {
    name,
    image: o.image,
    environment: entries(o.environment),
    command: o.command ?? [],
    ready: ready && { command: ready.command, timeout: ready.timeout ?? 60, interval: ready.interval ?? 1 },
    setup: o.setup === undefined ? [] : Array.isArray(o.setup) ? o.setup : [o.setup],
    cache: o.cache ?? false,
  };
}
