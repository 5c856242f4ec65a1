import { asMapping, mountOf } from "./compose-files.js";
import { type ComposeReader, type ComposeService, dependsOn } from "./compose.js";

/**
 * What a compose service needs of the others, as compose and Docker's network read it: the
 * services it waits for (`depends_on`, `links`, `network_mode: service:x`, `volumes_from`), and the
 * host names its settings point at (`DATABASE_URL=postgres://u:p@db:5432/x`, `REDIS_HOST=cache`,
 * `command: wait-for db:5432 -- ...`).
 */

/** The names a service answers to on its network: its own, its container_name, its aliases. */
export function dnsNames(name: string, svc: ComposeService): string[] {
  const names = [name];
  if (typeof svc.container_name === "string") names.push(svc.container_name);
  if (svc.networks && typeof svc.networks === "object" && !Array.isArray(svc.networks)) {
    for (const net of Object.values(svc.networks as Record<string, unknown>)) {
      const aliases = (net as { aliases?: unknown } | null)?.aliases;
      if (Array.isArray(aliases)) names.push(...aliases.map(String));
    }
  }
  return names.map((n) => n.toLowerCase());
}

/** `links: [db:database]` of the service: alias → the linked service. */
function linkAliases(svc: ComposeService): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of Array.isArray(svc.links) ? svc.links.map(String) : []) {
    const [target, alias] = l.split(":");
    out.set((alias ?? target!).toLowerCase(), target!);
  }
  return out;
}

/** The services a service waits for or shares with: compose starts them first. */
export function waitsFor(svc: ComposeService): string[] {
  const out = [...dependsOn(svc), ...linkAliases(svc).values()];
  if (typeof svc.network_mode === "string" && svc.network_mode.startsWith("service:")) out.push(svc.network_mode.slice("service:".length));
  for (const v of Array.isArray(svc.volumes_from) ? svc.volumes_from.map(String) : []) {
    if (!v.startsWith("container:")) out.push(v.split(":")[0]!);
  }
  return out;
}

/** Keys whose whole value is a host (or a list of them): `PGHOST`, `REDIS_HOST`, `KAFKA_BROKERS`. */
const HOST_KEY = /(HOST|HOSTS|HOSTNAME|SERVER|SERVERS|ADDR|ADDRESS|ENDPOINTS?|BROKERS?|NODES?|URLS?|URIS?|DSN)$/i;
const HOSTNAME = /^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$/i;

/** Host names a setting's value points at: URL hosts, `host:port`, or the value of a host key. */
export function hostsIn(key: string, value: string): string[] {
  const hosts: string[] = [];
  for (const m of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^/\s?#"']*)/gi)) {
    const authority = m[1]!.slice(m[1]!.lastIndexOf("@") + 1);
    for (const h of authority.split(",")) hosts.push(h.replace(/:\d*$/, ""));
  }
  const withoutUrls = value.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"']*/gi, " ");
  for (const m of withoutUrls.matchAll(/(?:^|[\s,;=@(["'])([a-z0-9][a-z0-9_.-]*):(\d{2,5})(?=$|[\s,;/)\]"'])/gi)) hosts.push(m[1]!);
  if (HOST_KEY.test(key)) hosts.push(...withoutUrls.split(/[\s,;]+/).map((h) => h.replace(/:\d+$/, "")));
  return [...new Set(hosts.filter((h) => HOSTNAME.test(h)).map((h) => h.toLowerCase()))];
}

/** A reference from one service to another: where (for the report), and the network name it uses, if any. */
export interface Reference {
  service: string;
  via: string;
  /** The name the referring service reaches it by (a host in its settings, a link's alias). */
  as?: string;
}

/**
 * The services `svc` needs: those it waits for, and those whose names its environment (its
 * env_files' included), command and entrypoint point at. `names` maps each network name to its
 * service.
 */
export function referencesOf(svc: ComposeService, names: ReadonlyMap<string, string>, reader: ComposeReader): Reference[] {
  const links = linkAliases(svc);
  const out: Reference[] = waitsFor(svc).map((s) => ({ service: s, via: "depends_on" }));
  for (const [alias, service] of links) out.push({ service, via: "links", as: alias });
  const resolve = (host: string) => links.get(host) ?? names.get(host);
  const settings: [string, string][] = Object.entries(reader.quiet.serviceEnvironment(svc).environment);
  for (const key of ["command", "entrypoint"]) {
    const v = svc[key];
    const text = Array.isArray(v) ? v.map(String).join(" ") : typeof v === "string" ? v : "";
    if (text) settings.push([key, reader.quiet.interpolate(text)]);
  }
  for (const [key, value] of settings) {
    for (const host of hostsIn(key, value)) {
      const service = resolve(host);
      if (service) out.push({ service, as: host, via: key });
    }
  }
  return out;
}

/** The container paths of a service's mounts (bind mounts and volumes). */
export const mountTargets = (svc: ComposeService): string[] =>
  (Array.isArray(svc.volumes) ? svc.volumes : []).flatMap((v) => {
    const m = mountOf(v);
    return m ? [m.target.replace(/\/+$/, "")] : [];
  });

/** The mapping form of a service's `environment:` as written (values not interpolated). */
/** A service's environment as written; a name without a value reads as `${NAME}` (the shell's or the environment file's). */
export const rawEnvironment = (svc: ComposeService): Record<string, unknown> =>
  Object.fromEntries(Object.entries(asMapping(svc.environment)).map(([k, v]) => [k, v === null || v === undefined ? `\${${k}}` : v]));
