import { stringify } from "yaml";
import { compileSpec } from "../generate.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";
import type { Note, Pos, V1Config } from "./v1.js";
import { allCommands } from "./v1.js";

/**
 * When a circle.yml builds and runs docker images (the seeds' recipes), a gen-circle.yml whose
 * pipeline does the same job with gen-circle's caching. What it cannot infer becomes a note.
 */
export function toSpec(c: V1Config, fileName: string): { spec?: string; notes: Note[] } {
  const notes: Note[] = [];
  const cmds = allCommands(c);
  const build = cmds.map((x) => ({ x, args: dockerArgs(x.command, "build") })).find((b) => b.args);
  if (!build) return { notes };
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
    return { notes };
  }
  const ref = parseReference(tag.replace(/:\$.*$/, ""));
  if (!ref) {
    notes.push({ at, what: "--spec: image name", why: `'${tag}' is not a docker image name gen-circle can use.` });
    return { notes };
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

  const spec: Record<string, unknown> = { version: 1, image };
  // The test: `docker run [opts] IMAGE command...` in the test section.
  const testCmds = [...c.test.pre, ...c.test.override, ...c.test.post];
  const services: Record<string, unknown> = {};
  for (const t of testCmds) {
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
    if (img.split(":")[0] === name || img.startsWith(`${name}:`)) {
      const command = o.rest.slice(1).join(" ");
      if (command) spec.test = Object.keys(env).length ? { command, environment: env } : command;
      if (o.all("--add-host").length || o.all("-v").length)
        notes.push({
          at: t.at,
          what: "--spec: docker run options",
          why: "--add-host and volumes are not carried over: services run as containers on the job's network, results come out with docker cp (set test.results).",
        });
    }
  }
  if (Object.keys(services).length) spec.services = services;
  if (!spec.test)
    notes.push({
      at,
      what: "--spec: test command",
      why: "No `docker run IMAGE command` in the test section: set test.command (the image's CMD runs otherwise).",
    });

  // Deploys: `docker push` in deployments.
  const rules: Record<string, unknown>[] = [];
  let login: { username: string; password: string } | undefined;
  let registry: string | undefined;
  for (const d of c.deployments) {
    const tags = new Set<string>();
    for (const x of d.commands) {
      const l = /docker login\b(.*)/.exec(x.command);
      if (l) {
        const u = /(?:-u|--username)[= ]"?\$\{?(\w+)\}?"?/.exec(l[1]!)?.[1];
        const p = /(?:-p|--password)[= ]"?\$\{?(\w+)\}?"?/.exec(l[1]!)?.[1];
        if (u && p) login = { username: u, password: p };
      }
      const push = dockerArgs(x.command, "push");
      if (!push || !push[0]) continue;
      const target = push[0];
      const colon = target.lastIndexOf(":");
      const repo = colon > target.lastIndexOf("/") ? target.slice(0, colon) : target;
      const t = colon > target.lastIndexOf("/") ? target.slice(colon + 1) : "latest";
      const pr = parseReference(repo);
      if (!pr || (pr.path !== ref.path && repo !== name)) continue;
      if (pr.domain) registry = pr.domain;
      tags.add(
        t
          .replace(/\$\{?CIRCLE_SHA1\}?/g, "{sha}")
          .replace(/\$\{?CIRCLE_BRANCH\}?/g, "{branch}")
          .replace(/\$\{?CIRCLE_BUILD_NUM\}?/g, "{build}")
          .replace(/\$\{?CIRCLE_TAG\}?/g, "{tag}"),
      );
    }
    if (!tags.size) continue;
    const rule: Record<string, unknown> = { tags: [...tags] };
    if (d.tags.length) rule.tag = d.tags.length === 1 ? d.tags[0] : d.tags;
    else rule.branch = d.branches.length === 1 ? d.branches[0] : d.branches.length ? d.branches : "/.*/";
    if ([...tags].some((t) => t.includes("$")))
      notes.push({
        at: d.at,
        what: `--spec: deployment ${d.name}`,
        why: "A pushed tag uses variables gen-circle does not know: use {sha}, {branch}, {tag}, {build} or {hash}.",
      });
    rules.push(rule);
  }
  if (rules.length) {
    spec.deploy = { ...(registry ? { registry } : {}), ...(login ? { login } : {}), rules };
    if (!login)
      notes.push({
        at,
        what: "--spec: deploy.login",
        why: "No `docker login -u $USER -p $PASSWORD` found: set deploy.login to the names of the variables holding the credentials.",
      });
  }
  if (c.machine.services.some((s) => s.name !== "docker")) {
    const s = c.machine.services.find((x) => x.name !== "docker")!;
    notes.push({
      at: s.at,
      what: "--spec: services",
      why: "Services of the 1.0 machine (on the host) become containers in gen-circle: add them under services: with an image and a ready probe.",
    });
  }
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
