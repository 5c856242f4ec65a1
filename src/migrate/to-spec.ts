import { stringify } from "yaml";
import { compileSpec } from "../generate.js";
import { type ParsedRef, parseReference, repositoryOf } from "../spec/docker-ref.js";
import { placeholderList, TAG_PLACEHOLDERS } from "../spec/placeholders.js";
import type { Deployment, Note, Pos, V1Config } from "./v1.js";
import { allCommands } from "./v1.js";

/** The image the spec builds: read from the first `docker build`, where the other sections refer to it. */
interface BuiltImage {
  /** repository, with its registry when it has one */
  name: string;
  ref: ParsedRef;
  /** the spec's `image:` */
  image: Record<string, unknown>;
  /** the `docker build` command: the notes without a better place point there */
  at: Pos;
}

/**
 * When a circle.yml builds and runs docker images (the seeds' recipes), a gen-circle.yml whose
 * pipeline does the same job with gen-circle's caching. What it cannot infer becomes a note.
 */
export function toSpec(c: V1Config, fileName: string): { spec?: string; notes: Note[] } {
  const notes: Note[] = [];
  const built = inferImage(c, notes);
  if (!built) return { notes };
  // In this order: the spec's keys, and the notes of the same line, come out in the order of its sections.
  const spec: Record<string, unknown> = { version: 1, image: built.image };
  const { test, services } = inferTest(c, built, notes);
  if (test) spec.test = test;
  if (Object.keys(services).length) spec.services = services;
  const deploy = inferDeploy(c, built, notes);
  if (deploy) spec.deploy = deploy;
  noteHostServices(c, notes);
  return render(spec, fileName, built.at, notes);
}

/** `docker build`: the image's name (from --tag), context, Dockerfile and a first hash. */
function inferImage(c: V1Config, notes: Note[]): BuiltImage | undefined {
  const build = allCommands(c)
    .map((x) => ({ x, args: dockerArgs(x.command, "build") }))
    .find((b) => b.args);
  if (!build) return undefined;
  const at = build.x.at;
  const opts = parseOpts(build.args!, ["-t", "--tag", "-f", "--file", "--build-arg"]);
  const tag = opts.get("-t") ?? opts.get("--tag");
  const dockerfile = opts.get("-f") ?? opts.get("--file");
  const context = opts.rest[0] ?? ".";
  if (!tag || /\$/.test(tag.split(":")[0]!)) {
    notes.push({
      at,
      what: "--spec: image name",
      why: tag ? `The image name ${tag} is built from variables: set image.name by hand.` : "The docker build has no --tag: set image.name by hand.",
    });
    return undefined;
  }
  const ref = parseReference(tag.replace(/:\$.*$/, ""));
  if (!ref) {
    notes.push({ at, what: "--spec: image name", why: `'${tag}' is not a docker image name gen-circle can use.` });
    return undefined;
  }
  const name = repositoryOf(ref);
  const cleanContext =
    context
      .replace(/^\.\/?$/, ".")
      .replace(/^\.\//, "")
      .replace(/\/$/, "") || ".";
  const image: Record<string, unknown> = { name };
  if (cleanContext !== ".") image.context = cleanContext;
  if (dockerfile) image.dockerfile = dockerfile.replace(/^\.\//, "");
  const df = (image.dockerfile as string | undefined) ?? (cleanContext === "." ? "Dockerfile" : `${cleanContext}/Dockerfile`);
  image.hash = [df];
  notes.push({
    at,
    what: "--spec: image.hash",
    why: `Only ${df} is known to decide a rebuild: add the dependency manifests and lock files the Dockerfile copies before its install step.`,
  });
  return { name, ref, image, at };
}

/** The test: `docker run [opts] IMAGE command...` in the test section; `docker run -d --name` are services. */
function inferTest(c: V1Config, { name, at }: BuiltImage, notes: Note[]): { test?: unknown; services: Record<string, unknown> } {
  const services: Record<string, unknown> = {};
  let test: unknown;
  for (const t of [...c.test.pre, ...c.test.override, ...c.test.post]) {
    const args = dockerArgs(t.command, "run");
    if (!args) continue;
    const o = parseOpts(args, ["-e", "--env", "--name", "--link", "-v", "-p", "--add-host", "-w", "--network"], ["-d", "--rm", "-t", "-i", "-it"]);
    const img = o.rest[0];
    if (!img) continue;
    const env = Object.fromEntries(
      o
        .all("-e")
        .concat(o.all("--env"))
        .filter((e) => e.includes("="))
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
    if (o.flags.has("-d") && o.get("--name")) {
      const svc = o
        .get("--name")!
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, "-");
      if (/^[a-z]/.test(svc) && parseReference(img)) services[svc] = Object.keys(env).length ? { image: img, environment: env } : img;
      continue;
    }
    if (img.split(":")[0] !== name && !img.startsWith(`${name}:`)) continue;
    const command = o.rest.slice(1).join(" ");
    if (command) test = Object.keys(env).length ? { command, environment: env } : command;
    if (o.all("--add-host").length || o.all("-v").length)
      notes.push({
        at: t.at,
        what: "--spec: docker run options",
        why: "--add-host and volumes are not carried over: services run as containers on the job's network, results come out with docker cp (set test.results).",
      });
  }
  if (!test)
    notes.push({
      at,
      what: "--spec: test command",
      why: "No `docker run IMAGE command` in the test section: set test.command (the image's CMD runs otherwise).",
    });
  return { test, services };
}

/** Deploys: `docker push` of the image in deployments, a rule each, with the `docker login` variables. */
function inferDeploy(c: V1Config, built: BuiltImage, notes: Note[]): Record<string, unknown> | undefined {
  const rules: Record<string, unknown>[] = [];
  let login: { username: string; password: string } | undefined;
  let registry: string | undefined;
  for (const d of c.deployments) {
    const tags = new Set<string>();
    for (const x of d.commands) {
      login = dockerLogin(x.command) ?? login;
      const push = pushOf(x.command, built);
      if (!push) continue;
      if (push.registry) registry = push.registry;
      tags.add(push.tag);
    }
    if (tags.size) rules.push(deployRule(d, [...tags], notes));
  }
  if (!rules.length) return undefined;
  if (!login)
    notes.push({
      at: built.at,
      what: "--spec: deploy.login",
      why: "No `docker login -u $USER -p $PASSWORD` found: set deploy.login to the names of the variables holding the credentials.",
    });
  return { ...(registry ? { registry } : {}), ...(login ? { login } : {}), rules };
}

/** The variables of `docker login -u $USER -p $PASSWORD`: the spec names them, never the values. */
function dockerLogin(command: string): { username: string; password: string } | undefined {
  const l = /docker login\b(.*)/.exec(command);
  if (!l) return undefined;
  const u = /(?:-u|--username)[= ]"?\$\{?(\w+)\}?"?/.exec(l[1]!)?.[1];
  const p = /(?:-p|--password)[= ]"?\$\{?(\w+)\}?"?/.exec(l[1]!)?.[1];
  return u && p ? { username: u, password: p } : undefined;
}

/** A `docker push` of the built image: its registry, and the tag in gen-circle's placeholders. */
function pushOf(command: string, { name, ref }: BuiltImage): { registry?: string; tag: string } | undefined {
  const push = dockerArgs(command, "push");
  if (!push || !push[0]) return undefined;
  const target = push[0];
  const colon = target.lastIndexOf(":");
  const repo = colon > target.lastIndexOf("/") ? target.slice(0, colon) : target;
  const t = colon > target.lastIndexOf("/") ? target.slice(colon + 1) : "latest";
  const pr = parseReference(repo);
  if (!pr || (pr.path !== ref.path && repo !== name)) return undefined;
  // $CIRCLE_SHA1 and the like: the placeholder that means the same (src/spec/placeholders.ts).
  const tag = TAG_PLACEHOLDERS.reduce((acc, p) => (p.circleVariable ? acc.replace(new RegExp(`\\$\\{?${p.circleVariable}\\}?`, "g"), `{${p.name}}`) : acc), t);
  return { registry: pr.domain, tag };
}

/** A deployment's rule: its tags, or else its branches (every branch when it names none). */
function deployRule(d: Deployment, tags: string[], notes: Note[]): Record<string, unknown> {
  const rule: Record<string, unknown> = { tags };
  if (d.tags.length) rule.tag = d.tags.length === 1 ? d.tags[0] : d.tags;
  else rule.branch = d.branches.length === 1 ? d.branches[0] : d.branches.length ? d.branches : "/.*/";
  if (tags.some((t) => t.includes("$")))
    notes.push({
      at: d.at,
      what: `--spec: deployment ${d.name}`,
      why: `A pushed tag uses variables gen-circle does not know: use ${placeholderList()}.`,
    });
  return rule;
}

function noteHostServices(c: V1Config, notes: Note[]): void {
  const s = c.machine.services.find((x) => x.name !== "docker");
  if (s)
    notes.push({
      at: s.at,
      what: "--spec: services",
      why: "Services of the 1.0 machine (on the host) become containers in gen-circle: add them under services: with an image and a ready probe.",
    });
}

/** The spec's text, written only when gen-circle accepts it. */
function render(spec: Record<string, unknown>, fileName: string, at: Pos, notes: Note[]): { spec?: string; notes: Note[] } {
  let text = stringify(spec, { lineWidth: 0 });
  text = `# Written by gen-circle migrate --spec from ${fileName}; review the notes of the migration report.\n${text}`;
  const check = compileSpec(text);
  if (!check.spec) {
    notes.push({ at, what: "--spec", why: `The inferred spec is not valid (${check.diagnostics.map((d) => d.message).join("; ")}): not written.` });
    return { notes };
  }
  return { spec: text, notes };
}

/** The arguments of `docker SUB ...` in a shell command (the first such call), split on spaces. */
function dockerArgs(command: string, sub: string): string[] | undefined {
  const m = new RegExp(`(?:^|[;&|]\\s*|\\s)(?:sudo\\s+)?docker\\s+${sub}\\s+([^;&|\\n]*)`).exec(command);
  if (!m) return undefined;
  return m[1]!
    .trim()
    .split(/\s+/)
    .map((a) => a.replace(/^["']|["']$/g, ""))
    .filter(Boolean);
}

function parseOpts(args: string[], withValue: string[], flags: string[] = []) {
  const values = new Map<string, string[]>();
  const rest: string[] = [];
  const seenFlags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (rest.length) {
      rest.push(a); // options end at the first positional (the image): the rest is its command
      continue;
    }
    const eq = /^(--?[\w-]+)=(.*)$/.exec(a);
    if (eq && withValue.includes(eq[1]!)) values.set(eq[1]!, [...(values.get(eq[1]!) ?? []), eq[2]!]);
    else if (withValue.includes(a)) values.set(a, [...(values.get(a) ?? []), args[++i] ?? ""]);
    else if (flags.includes(a) || (a.startsWith("-") && rest.length === 0)) seenFlags.add(a);
    else rest.push(a);
  }
  return { get: (k: string) => values.get(k)?.[0], all: (k: string) => values.get(k) ?? [], rest, flags: seenFlags };
}

export type { Pos };
