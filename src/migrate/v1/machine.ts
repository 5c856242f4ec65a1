import { Codes } from "../../diagnostics.js";
import type { Phases, V1Config } from "../v1.js";
import { isObj, LANGUAGES, mapping, type Obj, type ReadCtx, str } from "./context.js";

/** machine: environment (a mapping, or NAME=value lines), hosts, services, languages, timezone. */
export function readMachine(ctx: ReadCtx, m: Phases & { rest: Obj }): V1Config["machine"] {
  const { pos, diag, lines } = ctx;
  const environment: V1Config["machine"]["environment"] = [];
  const envRaw = m.rest.environment;
  if (Array.isArray(envRaw) && envRaw.every((e) => typeof e === "string" && /^\w+=/.test(e))) {
    // `- NAME=value` entries: one meaning, repaired.
    diag("warning", Codes.v1MappingExpected, ["machine", "environment"], "'machine.environment' is a list of NAME=value: read as a mapping.");
    envRaw.forEach((e: string, i) => {
      const at = pos(["machine", "environment", i], "value");
      lines.add(at.line);
      environment.push({ key: e.slice(0, e.indexOf("=")), value: e.slice(e.indexOf("=") + 1), at });
    });
  } else {
    for (const [k, val] of Object.entries(mapping(ctx, envRaw, ["machine", "environment"], "NAME: value"))) {
      lines.add(pos(["machine", "environment", k]).line);
      environment.push({ key: k, value: str(val), at: pos(["machine", "environment", k]) });
    }
  }
  const hosts: V1Config["machine"]["hosts"] = [];
  for (const [h, ip] of Object.entries(mapping(ctx, m.rest.hosts, ["machine", "hosts"], "host: address"))) {
    lines.add(pos(["machine", "hosts", h]).line);
    hosts.push({ host: h, ip: str(ip), at: pos(["machine", "hosts", h]) });
  }
  const services: V1Config["machine"]["services"] = [];
  const sv = m.rest.services;
  (Array.isArray(sv) ? sv : sv === undefined || sv === null ? [] : [sv]).forEach((s, i) => {
    lines.add(pos(["machine", "services", i], "value").line);
    services.push({ name: str(s), at: pos(["machine", "services", Array.isArray(sv) ? i : 0], "value") });
  });
  const languages: V1Config["machine"]["languages"] = [];
  for (const lang of LANGUAGES) {
    const l = m.rest[lang];
    if (l === undefined) continue;
    lines.add(pos(["machine", lang]).line);
    // `python: {version: 3.6}`, or the short `python: 3.6`.
    const version = isObj(l) ? str(l.version) : str(l);
    if (isObj(l)) for (const k of Object.keys(l)) lines.add(pos(["machine", lang, k]).line);
    languages.push({ name: lang, version, at: pos(["machine", lang]) });
  }
  const timezone = m.rest.timezone === undefined ? undefined : { value: str(m.rest.timezone), at: pos(["machine", "timezone"]) };
  if (timezone) lines.add(timezone.at.line);
  const { rest: _m, ...machinePhases } = m;
  return { ...machinePhases, environment, timezone, hosts, languages, services };
}
