import { hubReference, knownByProbe, type KnownService, knownService, missingStartSettings } from "../spec/known-services.js";
import type { ComposeService } from "./compose.js";
import { mountOf } from "./compose-files.js";
import { mountTargets, rawEnvironment } from "./service-refs.js";
import type { ServiceContext, ServiceGuess } from "./services.js";

/** One service's place in the spec and what it is made from. */
interface Draft {
  ctx: ServiceContext;
  svc: ComposeService;
  composeName: string;
  name: string;
  known?: KnownService;
  todo(at: readonly string[], text: string): void;
}

/**
 * A taken compose service's settings for the spec: its image (the base image of a known service
 * built with additions), environment (env_file and environment, plus what the image needs to
 * start in CI), command, and a readiness probe that can run in CI.
 */
export function serviceSettings(ctx: ServiceContext, composeName: string, name: string): ServiceGuess {
  const svc = ctx.services[composeName]!;
  const role = ctx.roles.get(composeName)!;
  const d: Draft = { ctx, svc, composeName, name, todo: (at, text) => ctx.notes.todo.push({ at: ["services", name, ...at], text }) };
  let image: string;
  if (role.kind === "service-build") {
    image = role.base.image;
    d.known = role.base.known;
    d.todo(
      [],
      `compose builds ${composeName} from ${role.dockerfile}, on ${image}: a service runs an image, so ${image} runs here without what that Dockerfile adds (init scripts, configuration); run those in setup: or from the tests`,
    );
  } else {
    const raw = String(svc.image);
    image = hubReference(ctx.compose.reader.interpolate(raw));
    // An image init does not know whose healthcheck runs a known store's client is that store (a Postgres with upgrades).
    d.known = knownService(image) ?? knownByProbe(JSON.stringify((svc.healthcheck as { test?: unknown } | null)?.test ?? ""));
    const unset = ctx.compose.reader.unresolved(raw);
    if (unset.length) d.todo(["image"], `${unsetText(ctx, unset)}: write the image's tag`);
  }
  const out: ServiceGuess = { name, image, environment: environmentOf(d) };
  const command = commandOf(d);
  if (command) out.command = command;
  const ready = readyOf(d, role.kind === "service-build");
  if (ready) out.ready = d.known?.timeout ? { command: ready, timeout: d.known.timeout } : ready;
  noteMounts(d);
  return out;
}

/** `${DB_PASSWORD} has no value (not in .env.example, no default)`. */
const unsetText = (ctx: ServiceContext, names: readonly string[]) =>
  `${names.map((v) => `\${${v}}`).join(", ")} ${names.length > 1 ? "have" : "has"} no value (${ctx.compose.reader.envFile ? `not in ${ctx.compose.reader.envFile}` : "no .env file"}, no default)`;

/**
 * env_file and environment as compose gives them to the container (a known image takes only its
 * own names from an env_file, which is often the app's too), less the `*_FILE` variables whose file
 * is a secret or a mount the pipeline does not have, plus the settings the image needs to start.
 */
function environmentOf(d: Draft): Record<string, string> {
  const { ctx, svc, known } = d;
  const { environment } = ctx.compose.reader.serviceEnvironment(svc, known ? (k) => known.reads.test(k) : undefined);
  const raw = rawEnvironment(svc);
  for (const [key, value] of Object.entries(raw)) {
    const unset = typeof value === "string" ? ctx.compose.reader.unresolved(value) : [];
    if (unset.length && key in environment) {
      d.todo(["environment", key], `${unsetText(ctx, unset)}: set ${key}`);
    }
  }
  const targets = mountTargets(svc);
  for (const [key, value] of Object.entries(environment)) {
    const mounted = targets.some((t) => value === t || value.startsWith(`${t}/`));
    if (key.endsWith("_FILE") && (value.startsWith("/run/secrets/") || mounted)) {
      delete environment[key];
      d.ctx.notes.guessed.push(`service ${d.name}: ${key} left out: its file, ${value}, is a secret or a mount the service does not have in CI`);
    }
  }
  if (known) addStartSettings(d, known, environment);
  return environment;
}

/** The settings of the known image's table entry that compose does not set (compose's values are kept). */
function addStartSettings(d: Draft, known: KnownService, environment: Record<string, string>): void {
  const added: string[] = [];
  let credential = false;
  for (const setting of missingStartSettings(known, environment)) {
    for (const [k, v] of Object.entries(setting.set)) {
      environment[k] = v;
      added.push(`${k}=${v}`);
    }
    credential ||= !!setting.credential;
  }
  if (!added.length) return;
  d.ctx.notes.guessed.push(`service ${d.name}: ${added.join(", ")} added, what ${known.kind} needs to start in CI (compose's own values are kept)`);
  if (credential) d.todo(["environment"], `${added.join(", ")} added so that ${known.kind} starts: check that the tests connect with these credentials`);
}

/** compose's `command:` as the service's arguments (a string is split into words, as compose does). */
function commandOf(d: Draft): string[] | undefined {
  const { svc, ctx } = d;
  if (svc.entrypoint !== undefined && svc.entrypoint !== null) {
    d.todo([], `compose runs ${d.composeName} with entrypoint ${JSON.stringify(svc.entrypoint)}: a service runs its image's own entrypoint`);
  }
  const c = svc.command;
  const words = Array.isArray(c) ? c.map(String) : typeof c === "string" ? splitWords(c) : [];
  return words.length ? words.map((w) => ctx.compose.reader.interpolate(w)) : undefined;
}

/** A command line split into words as compose splits a string `command:` (quotes and backslashes, no shell). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= "";
    } else if (ch === "\\" && i + 1 < text.length) cur = (cur ?? "") + text[++i];
    else cur = (cur ?? "") + ch;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/**
 * compose's healthcheck when it can run in CI; else (it runs a script from a mount, reads a secret
 * file, or there is none) the known image's probe. A healthcheck that cannot run and no probe to
 * put instead: none, with a TODO.
 */
/**
 * A PostgreSQL or MySQL client probe over TCP (`-h 127.0.0.1`): the official images first run a
 * temporary server on the Unix socket alone while their init scripts run, and a socket probe
 * passes then, before the tests can connect.
 */
function overTcp(probe: string): string {
  return probe.replace(/(^|[\s;&|"'])(pg_isready|mysqladmin\s+ping|mariadb-admin\s+ping)(?![^;&|]*\s(-h|--host)[\s=])/g, "$1$2 -h 127.0.0.1");
}

function readyOf(d: Draft, serviceBuild: boolean): string | undefined {
  const { ctx, svc, known } = d;
  const probe = ctx.compose.reader.readiness(svc.healthcheck);
  const fromMount = probe !== undefined && runsMountedFile(probe, mountTargets(svc));
  if (probe !== undefined && !fromMount && !serviceBuild) return overTcp(probe);
  if (known) {
    if (probe !== undefined)
      ctx.notes.guessed.push(
        `service ${d.name}: compose's healthcheck (${probe}) ${fromMount ? "runs a file from a mount" : "may use files of the built image"}: ${known.kind}'s own probe instead`,
      );
    return known.ready;
  }
  if (probe === undefined && !serviceBuild)
    d.todo(
      [],
      `${String(svc.image)} is not a service init knows, and compose gives it no healthcheck: the tests would not wait for it; write a ready: probe, or remove it if the tests do not use it`,
    );
  if (fromMount) d.todo([], `compose's healthcheck (${probe}) runs a file from a mount, which the service does not have in CI: write a ready: probe`);
  else if (probe === undefined && /\/run\/secrets\//.test(JSON.stringify((svc.healthcheck as { test?: unknown } | null)?.test ?? ""))) {
    d.todo([], "compose's healthcheck reads a secret file the service does not have in CI: write a ready: probe");
  }
  return serviceBuild || fromMount ? undefined : probe;
}

/** The probe runs a path under one of the mounts, or a program mounted into a bin folder by name. */
function runsMountedFile(probe: string, targets: readonly string[]): boolean {
  const words = probe.split(/[\s;&|()'"`=]+/).filter(Boolean);
  return targets.some((t) => {
    const name = t.slice(t.lastIndexOf("/") + 1);
    const inBin = /^\/(usr\/(local\/)?)?s?bin\/[^/]+$/.test(t);
    return words.some((w) => w === t || w.startsWith(`${t}/`) || (inBin && w === name));
  });
}

/** Files compose mounts into the service from the repository (init scripts, configuration): not there in CI. */
function noteMounts(d: Draft): void {
  const binds = (Array.isArray(d.svc.volumes) ? d.svc.volumes : []).map(mountOf).filter((m) => m?.type === "bind" && m.source !== undefined);
  const files = binds.filter((m) => /initdb|entrypoint|\/conf|\.[a-z]{1,5}$/i.test(m!.target));
  if (!files.length) return;
  const list = files.map((m) => `${m!.source} at ${m!.target}`).join(", ");
  d.todo([], `compose mounts ${list}: a service has no files from the repository; run what they set up in setup: or from the tests`);
}
