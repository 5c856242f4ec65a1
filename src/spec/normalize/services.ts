import { Codes } from "../../diagnostics.js";
import { parseReference } from "../docker-ref.js";
import { knownService } from "../known-services.js";
import type { ProjectService, Service } from "../types.js";
import { entries, type Reporter } from "./context.js";

/** `services:` (of an entry of images:, or the top level's), sorted by name: the order is stable. */
export function normalizeServices(map: Record<string, ProjectService>, path: (string | number)[], r: Reporter): Service[] {
  const services = Object.keys(map)
    .sort()
    .map((name) => normalizeService(name, map[name]!, [...path, name], r));
  // One network: a host name answers for one container.
  const owner = new Map(services.map((s) => [s.name, s.name]));
  for (const s of services) {
    const written = map[s.name];
    const listed = typeof written === "object" ? (written.aliases ?? []) : [];
    s.aliases.forEach((alias) => {
      const other = owner.get(alias);
      if (other !== undefined && other !== s.name)
        r.report(
          Codes.duplicateName,
          // The position as written (the service's own name may precede it in the list).
          [...path, s.name, "aliases", listed.indexOf(alias)],
          `${JSON.stringify(alias)} already names service '${other}': a host name reaches one service. Remove it here or there.`,
        );
      else owner.set(alias, s.name);
    });
  }
  return services;
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
  const ready = readyOf(o.image, o.ready);
  return {
    name,
    image: o.image,
    environment: entries(o.environment),
    command: o.command ?? [],
    aliases: (o.aliases ?? []).filter((a) => a !== name),
    ready: ready && { command: ready.command, timeout: ready.timeout ?? 60, interval: ready.interval ?? 1 },
    setup: o.setup === undefined ? [] : Array.isArray(o.setup) ? o.setup : [o.setup],
    cache: o.cache ?? false,
  };
}

/**
 * The service's ready probe: as written; `false` for none; unset, the image's own probe when it is
 * a well-known image (src/spec/known-services.ts), else none (the tests start when it has started).
 */
function readyOf(image: string, ready: Exclude<ProjectService, string>["ready"]): { command: string; timeout?: number; interval?: number } | undefined {
  if (ready === false) return undefined;
  if (typeof ready === "string") return { command: ready };
  if (ready !== undefined) return ready;
  const known = knownService(image);
  return known && { command: known.ready, timeout: known.timeout };
}
