import { Codes, type Diagnostic } from "../diagnostics.js";
import type { SourceDoc } from "../spec/load.js";

/**
 * CircleCI 1.0 `circle.yml`, read into a model with the source position of every command.
 * Wrong nesting that has one meaning is repaired with a warning; the rest is an error.
 * @see CircleCI 1.0 configuration reference (circle.yml)
 */
export interface Pos {
  line: number;
  column: number;
}
export interface Command {
  command: string;
  timeout?: number;
  pwd?: string;
  environment?: Record<string, string>;
  parallel?: boolean;
  files?: string[];
  background?: boolean;
  /** modifiers it does not know, kept for the report */
  unknown: string[];
  at: Pos;
}
export interface Phases {
  pre: Command[];
  override: Command[];
  post: Command[];
  /** the section was written (even empty) */
  present: boolean;
}
export interface Deployment {
  name: string;
  branches: string[];
  tags: string[];
  owner?: string;
  commands: Command[];
  heroku?: { appname: string; at: Pos };
  at: Pos;
}
export interface Note {
  at: Pos;
  what: string;
  why: string;
}
export interface V1Config {
  machine: Phases & {
    environment: { key: string; value: string; at: Pos }[];
    timezone?: { value: string; at: Pos };
    hosts: { host: string; ip: string; at: Pos }[];
    languages: { name: string; version: string; at: Pos }[];
    services: { name: string; at: Pos }[];
  };
  checkout: Phases;
  dependencies: Phases & { cacheDirectories: { path: string; at: Pos }[]; bundlerWithout?: string[] };
  database: Phases;
  compile: Phases;
  test: Phases & { minitestGlobs: string[] };
  deployments: Deployment[];
  general: { branchesOnly: string[]; branchesIgnore: string[]; buildDir?: string; artifacts: { path: string; at: Pos }[] };
  /** what needs a person: mapped only in part, or not at all */
  notes: Note[];
  /** every source line that holds something, for the report */
  lines: Set<number>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const SECTIONS = ["machine", "checkout", "dependencies", "database", "compile", "test", "deployment", "general", "experimental", "notify"];
const PHASES = ["pre", "override", "post"];
const LANGUAGES = ["ruby", "node", "python", "php", "java", "go", "ghc", "xcode", "elixir", "erlang", "scala", "clojure", "rust"];

export function readV1(src: SourceDoc): { config?: V1Config; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const pos = (path: (string | number)[], at: "key" | "value" = "key"): Pos => src.position(path, at);
  const diag = (severity: "error" | "warning", code: string, path: (string | number)[], message: string, at: "key" | "value" = "key") =>
    diagnostics.push({ severity, code, message, file: src.file, ...pos(path, at), path: "/" + path.join("/") });
  const root = src.value;
  const notes: Note[] = [];
  const lines = new Set<number>();
  const note = (path: (string | number)[], what: string, why: string) => notes.push({ at: pos(path), what, why });

  if (root === null || root === undefined) {
    diag("error", Codes.notV1Config, [], "The file is empty: nothing to migrate.");
    return { diagnostics };
  }
  if (!isObj(root)) {
    diag("error", Codes.notV1Config, [], "A circle.yml is a mapping of sections (machine, dependencies, test, deployment, ...).", "value");
    return { diagnostics };
  }
  if ("version" in root || "jobs" in root || "workflows" in root) {
    diag(
      "error",
      Codes.notV1Config,
      "version" in root ? ["version"] : "jobs" in root ? ["jobs"] : ["workflows"],
      `This is already a CircleCI 2.x config (it has '${"version" in root ? "version" : "jobs" in root ? "jobs" : "workflows"}'): there is nothing to migrate.`,
    );
    return { diagnostics };
  }
  for (const key of Object.keys(root)) {
    lines.add(pos([key]).line);
    if (PHASES.includes(key))
      diag(
        "error",
        Codes.misnestedSection,
        [key],
        `'${key}:' belongs inside a section (dependencies, database, compile, test or machine); it is at the top level. Indent it under the section it is for.`,
      );
    else if (!SECTIONS.includes(key)) diag("warning", Codes.unknownV1Key, [key], `Unknown section '${key}': not migrated (CircleCI 1.0 ignored it too).`);
  }

  const str = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "string" ? v : String(v));

  /** A command list entry: a string, or `command: {modifiers}` (also as a complex key). */
  const command = (entry: unknown, path: (string | number)[]): Command | undefined => {
    lines.add(pos(path, "value").line);
    if (typeof entry === "string" || typeof entry === "number" || typeof entry === "boolean")
      return { command: String(entry), unknown: [], at: pos(path, "value") };
    if (isObj(entry) && Object.keys(entry).length === 1) {
      const [cmd, mods] = Object.entries(entry)[0]!;
      const c: Command = { command: cmd, unknown: [], at: pos(path, "value") };
      if (isObj(mods)) {
        for (const [k, v] of Object.entries(mods)) {
          lines.add(pos([...path, cmd, k]).line);
          if (k === "timeout") c.timeout = Number(v);
          else if (k === "pwd") c.pwd = str(v);
          else if (k === "environment" && isObj(v)) c.environment = Object.fromEntries(Object.entries(v).map(([a, b]) => [a, str(b)]));
          else if (k === "parallel") c.parallel = v === true;
          else if (k === "files") c.files = (Array.isArray(v) ? v : [v]).map(str);
          else if (k === "background") c.background = v === true;
          else c.unknown.push(k);
        }
      } else if (mods !== null) {
        // `- cmd: value` where a value is not a modifier mapping: a command that held ': '.
        c.command = `${cmd}: ${str(mods)}`;
      }
      return c;
    }
    diag("error", Codes.v1CommandShape, path, "A command is a string, or 'command: {timeout: ..., pwd: ...}'.", "value");
    return undefined;
  };

  const commands = (v: unknown, path: (string | number)[]): Command[] => {
    if (v === null || v === undefined) return [];
    if (typeof v === "string") {
      diag("warning", Codes.v1ListExpected, path, "A single command where a list was expected: read as a list of one.", "value");
      return [command(v, path)].filter((c): c is Command => !!c);
    }
    if (!Array.isArray(v)) {
      diag("error", Codes.v1ListExpected, path, "Expected a list of commands here.", "value");
      return [];
    }
    return v.map((e, i) => command(e, [...path, i])).filter((c): c is Command => !!c);
  };

  const phases = (name: string, extra: string[] = []): Phases & { rest: Obj } => {
    const v = root[name];
    const out = { pre: [] as Command[], override: [] as Command[], post: [] as Command[], present: name in root, rest: {} as Obj };
    if (v === null || v === undefined) return out;
    if (Array.isArray(v)) {
      diag("warning", Codes.v1PhaseShape, [name], `'${name}:' holds a list of commands: read as '${name}: override:' (what 1.0 ran for it).`);
      out.override = commands(v, [name]);
      return out;
    }
    if (!isObj(v)) {
      diag("error", Codes.v1PhaseShape, [name], `'${name}:' must hold pre/override/post lists.`, "value");
      return out;
    }
    for (const [k, val] of Object.entries(v)) {
      lines.add(pos([name, k]).line);
      if (PHASES.includes(k)) (out as unknown as Record<string, Command[]>)[k] = commands(val, [name, k]);
      else if (extra.includes(k)) out.rest[k] = val;
      else if (SECTIONS.includes(k))
        diag("error", Codes.misnestedSection, [name, k], `'${k}:' is a section of its own; it is nested under '${name}:'. Move it to the top level.`);
      else diag("warning", Codes.unknownV1Key, [name, k], `Unknown key '${k}' in '${name}:': not migrated.`);
    }
    return out;
  };

  // machine
  const m = phases("machine", ["environment", "timezone", "hosts", "services", ...LANGUAGES]);
  /** A mapping where one is needed; anything else is said, never dropped quietly. */
  const mapping = (v: unknown, path: string[], what: string): Obj => {
    if (v === undefined || v === null) return {};
    if (isObj(v)) return v;
    diag("warning", Codes.v1MappingExpected, path, `'${path.join(".")}' should be a mapping of ${what}: not migrated.`);
    return {};
  };
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
    for (const [k, val] of Object.entries(mapping(envRaw, ["machine", "environment"], "NAME: value"))) {
      lines.add(pos(["machine", "environment", k]).line);
      environment.push({ key: k, value: str(val), at: pos(["machine", "environment", k]) });
    }
  }
  const hosts: V1Config["machine"]["hosts"] = [];
  for (const [h, ip] of Object.entries(mapping(m.rest.hosts, ["machine", "hosts"], "host: address"))) {
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

  const checkout = phases("checkout");
  const deps = phases("dependencies", ["cache_directories", "bundler"]);
  const cacheDirectories: V1Config["dependencies"]["cacheDirectories"] = [];
  const cd = deps.rest.cache_directories;
  (Array.isArray(cd) ? cd : cd ? [cd] : []).forEach((p, i) => {
    lines.add(pos(["dependencies", "cache_directories", i], "value").line);
    cacheDirectories.push({ path: str(p), at: pos(["dependencies", "cache_directories", Array.isArray(cd) ? i : 0], "value") });
  });
  let bundlerWithout: string[] | undefined;
  if (isObj(deps.rest.bundler)) {
    lines.add(pos(["dependencies", "bundler"]).line);
    const w = deps.rest.bundler.without;
    bundlerWithout = (Array.isArray(w) ? w : w ? [w] : []).map(str);
  }
  const database = phases("database");
  const compile = phases("compile");
  const test = phases("test", ["minitest_globs"]);
  const mg = test.rest.minitest_globs;
  const minitestGlobs = (Array.isArray(mg) ? mg : mg ? [mg] : []).map(str);
  if (minitestGlobs.length)
    note(
      ["test", "minitest_globs"],
      "test.minitest_globs",
      "CircleCI 2 splits tests itself: run your tests with `circleci tests glob ... | circleci tests split` and set parallelism.",
    );

  // deployment
  const deployments: Deployment[] = [];
  const dep = root.deployment;
  if (dep !== undefined && dep !== null) {
    if (!isObj(dep))
      diag("error", Codes.v1DeploymentShape, ["deployment"], "'deployment:' holds named entries, each with branch or tag and commands.", "value");
    else
      for (const [name, d] of Object.entries(dep)) {
        const p = ["deployment", name];
        lines.add(pos(p).line);
        if (!isObj(d)) {
          diag("error", Codes.v1DeploymentShape, p, `Deployment '${name}' must hold branch or tag, and commands (or heroku).`, "value");
          continue;
        }
        const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(str);
        const e: Deployment = { name, branches: list(d.branch), tags: list(d.tag), commands: [], at: pos(p) };
        for (const k of Object.keys(d)) {
          lines.add(pos([...p, k]).line);
          if (!["branch", "tag", "owner", "commands", "heroku"].includes(k))
            diag("warning", Codes.unknownV1Key, [...p, k], `Unknown key '${k}' in deployment '${name}': not migrated.`);
        }
        (Array.isArray(d.branch) ? d.branch : []).forEach((_, i) => lines.add(pos([...p, "branch", i], "value").line));
        if (d.owner !== undefined) {
          e.owner = str(d.owner);
          note(
            [...p, "owner"],
            `deployment ${name}: owner ${e.owner}`,
            "CircleCI 2 has no owner filter: forks do not get your project's secrets by default; check the fork settings.",
          );
        }
        e.commands = commands(d.commands, [...p, "commands"]);
        if (isObj(d.heroku)) {
          e.heroku = { appname: str(d.heroku.appname), at: pos([...p, "heroku"]) };
          lines.add(pos([...p, "heroku", "appname"]).line);
          note(
            [...p, "heroku"],
            `deployment ${name}: heroku ${e.heroku.appname}`,
            "Set HEROKU_API_KEY (and HEROKU_APP_NAME is written into the step) in the project's environment variables; 2.0 has no built-in heroku deploy.",
          );
        }
        if (!e.branches.length && !e.tags.length)
          diag("warning", Codes.v1DeploymentShape, p, `Deployment '${name}' has neither branch nor tag: it would never run; migrated for every branch.`);
        deployments.push(e);
      }
  }

  // general
  const general: V1Config["general"] = { branchesOnly: [], branchesIgnore: [], artifacts: [] };
  const g = mapping(root.general, ["general"], "branches, build_dir and artifacts");
  if (Object.keys(g).length) {
    for (const k of Object.keys(g)) {
      lines.add(pos(["general", k]).line);
      if (!["branches", "build_dir", "artifacts"].includes(k))
        diag("warning", Codes.unknownV1Key, ["general", k], `Unknown key '${k}' in 'general:': not migrated.`);
    }
    const branches = mapping(g.branches, ["general", "branches"], "only and ignore lists");
    if (Object.keys(branches).length) {
      const list = (v: unknown, k: string) =>
        (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x, i) => {
          lines.add(pos(["general", "branches", k, i], "value").line);
          return str(x);
        });
      general.branchesOnly = list(branches.only, "only");
      general.branchesIgnore = list(branches.ignore, "ignore");
    }
    if (g.build_dir !== undefined) general.buildDir = str(g.build_dir);
    const a = g.artifacts;
    (Array.isArray(a) ? a : a ? [a] : []).forEach((p, i) => general.artifacts.push({ path: str(p), at: pos(["general", "artifacts", i], "value") }));
  }
  for (const key of ["experimental", "notify"]) {
    if (root[key] === undefined) continue;
    note(
      [key],
      `${key}:`,
      key === "notify"
        ? "Webhook notifications are set in the project settings (or a notification orb) in CircleCI 2; the URLs are in this file for reference."
        : "experimental.notify (branch notification filters) has no 2.0 equivalent in the config: set notifications in the project settings.",
    );
    walkLines(root[key], [key], (p) => lines.add(pos(p).line));
  }
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  const { rest: _m, ...machinePhases } = m;
  return {
    config: {
      machine: { ...machinePhases, environment, timezone, hosts, languages, services },
      checkout: strip(checkout),
      dependencies: { ...strip(deps), cacheDirectories, bundlerWithout },
      database: strip(database),
      compile: strip(compile),
      test: { ...strip(test), minitestGlobs },
      deployments,
      general,
      notes,
      lines,
    },
    diagnostics,
  };
}

function strip(p: Phases & { rest: Obj }): Phases {
  return { pre: p.pre, override: p.override, post: p.post, present: p.present };
}

function walkLines(v: unknown, path: (string | number)[], f: (p: (string | number)[]) => void): void {
  f(path);
  if (Array.isArray(v)) v.forEach((x, i) => walkLines(x, [...path, i], f));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) walkLines(x, [...path, k], f);
}

/** Every command of the config, in 1.0 order. */
export function allCommands(c: V1Config): Command[] {
  const ph = (p: Phases) => [...p.pre, ...p.override, ...p.post];
  return [
    ...ph(c.machine),
    ...ph(c.checkout),
    ...ph(c.dependencies),
    ...ph(c.database),
    ...ph(c.compile),
    ...ph(c.test),
    ...c.deployments.flatMap((d) => d.commands),
  ];
}
