import type { Instruction } from "../dockerfile/inputs.js";
import { type Compose, type ComposeService, TEST_SERVICES } from "./compose.js";
import { inFolder, lastInstruction, type Notes, type RepoView } from "./repo.js";

/** A command run with `sh -c`, or an exec-form list (the spec's `test.command`). */
export type TestCommand = string | [string, ...string[]];

export interface TestGuess {
  command: TestCommand;
  environment: Record<string, string>;
}

/** What one image's test command is guessed from. */
export interface TestContext {
  repo: RepoView;
  compose: Compose;
  /** Several images: the compose test service is not taken, as which image it runs is not known. */
  monorepo: boolean;
  context: string;
  instructions: Instruction[];
  /** The image's hash inputs: the package.json files it installs from. */
  hash: readonly string[];
  /** `<context>: ` before each note in a monorepo. */
  label: string;
}

/** A test command the project declares, and why it is taken (for the report). */
type Rule = (t: TestContext) => { command: string; why: string } | undefined;

const read = (t: TestContext, path: string) => t.repo.read(inFolder(t.context, path)) ?? "";
const has = (t: TestContext, path: string) => t.repo.files.includes(inFolder(t.context, path));

/** After the compose test service, the first of these that applies. */
const RULES: Rule[] = [
  (t) => (hasTestScript(read(t, "package.json")) ? { command: "npm test", why: "package.json has a test script" } : undefined),
  (t) => {
    const command = rubyTest(t) ?? pytestDeclared(t) ?? djangoTest(t) ?? nodeRunnerTest(t);
    return command ? { command, why: "from the project's dependencies" } : undefined;
  },
  (t) => (/^test\s*:/m.test(read(t, "Makefile")) ? { command: "make test", why: "Makefile has a test target" } : undefined),
  (t) => (pytestConfigured(t) ? { command: "pytest", why: "pytest configuration found" } : undefined),
  (t) => (has(t, "go.mod") ? { command: "go test ./...", why: "go.mod found" } : undefined),
];

export function guessTest(t: TestContext, notes: Notes): TestGuess {
  const service = composeTest(t, notes);
  if (service) return service;
  for (const rule of RULES) {
    const found = rule(t);
    if (found) {
      notes.found.push(`${t.label}test command: ${found.command} (${found.why})`);
      return { command: found.command, environment: {} };
    }
  }
  return imageCmdTest(t, notes);
}

/** The compose test service's command and environment (`sut`, `test` or `tests`). */
function composeTest(t: TestContext, notes: Notes): TestGuess | undefined {
  if (t.monorepo) return undefined;
  for (const name of TEST_SERVICES) {
    const svc = t.compose.services[name];
    const command = svc ? commandOf(svc) : undefined;
    if (!svc || !command) continue;
    notes.found.push(`test command from the compose test service: ${typeof command === "string" ? command : command.join(" ")}`);
    return { command, environment: t.compose.reader.environment(svc.environment) };
  }
  return undefined;
}

/** A compose service's command; an empty one (null, "", []) runs the image's own and says nothing. */
function commandOf(svc: ComposeService): TestCommand | undefined {
  const c = svc.command;
  if (Array.isArray(c)) return c.length ? [String(c[0]), ...c.slice(1).map(String)] : undefined;
  return typeof c === "string" && c ? c : undefined;
}

/**
 * The image's CMD only when it runs tests: a CMD that starts the app would hold the job until
 * CircleCI's no-output timeout. Else `make test`, as a placeholder.
 */
function imageCmdTest(t: TestContext, notes: Notes): TestGuess {
  const cmd = cmdOf(t.instructions);
  const text = typeof cmd === "string" ? cmd : cmd?.join(" ");
  if (cmd && /test|spec|check/i.test(text ?? "")) {
    notes.guessed.push(`${t.label}test command: the image's own CMD (${text}); check that it runs your tests`);
    return { command: cmd, environment: {} };
  }
  notes.guessed.push(
    `${t.label}test command: none found, 'make test' written as a placeholder${text ? ` (the image's CMD, ${text}, starts the app, not its tests)` : ""}`,
  );
  return { command: "make test", environment: {} };
}

/** The last CMD: exec form (a JSON list) as a list, else its text. */
function cmdOf(instructions: readonly Instruction[]): TestCommand | undefined {
  const args = lastInstruction(instructions, "CMD")?.args;
  if (!args?.startsWith("[")) return args || undefined;
  try {
    const list = JSON.parse(args) as unknown;
    return Array.isArray(list) && list.length ? [String(list[0]), ...list.slice(1).map(String)] : undefined;
  } catch {
    return args;
  }
}

function hasTestScript(pkg: string): boolean {
  try {
    const t = (JSON.parse(pkg) as { scripts?: { test?: string } }).scripts?.test;
    return !!t && !/no test specified/.test(t);
  } catch {
    return false;
  }
}

function pytestConfigured(t: TestContext): boolean {
  return (
    ["pytest.ini", "tox.ini", "conftest.py"].some((f) => has(t, f)) ||
    /\[tool:pytest\]/.test(read(t, "setup.cfg")) ||
    /\[tool\.pytest/.test(read(t, "pyproject.toml"))
  );
}

function rubyTest(t: TestContext): string | undefined {
  const gemfile = read(t, "Gemfile");
  if (/^\s*gem\s+["']rspec(-rails)?["']/m.test(gemfile)) return "bundle exec rspec";
  if (/^\s*gem\s+["']rails["']/m.test(gemfile) && t.repo.files.some((f) => f.startsWith(inFolder(t.context, "test/"))))
    return has(t, "bin/rails") ? "bin/rails test" : "bundle exec rails test";
  return undefined;
}

/** pytest among the Python dependencies (pyproject, Pipfile, requirements files). */
function pytestDeclared(t: TestContext): string | undefined {
  const requirements = t.repo.files.filter((f) => /(^|\/)requirements[^/]*\.(txt|in)$/.test(f) && (f.startsWith(inFolder(t.context, "")) || !f.includes("/")));
  const python = [read(t, "pyproject.toml"), read(t, "Pipfile"), ...requirements.map((f) => t.repo.read(f) ?? "")].join("\n");
  return /(^|["'\s])pytest\b/m.test(python) ? "pytest" : undefined;
}

/** Django: manage.py at the context's root, or in the folder the image works in (WORKDIR /app/src). */
function djangoTest(t: TestContext): string | undefined {
  const top = inFolder(t.context, "");
  const depth = inFolder(t.context, "manage.py").split("/").length + 1;
  const manage = t.repo.files
    .filter((f) => /(^|\/)manage\.py$/.test(f) && f.startsWith(top) && f.split("/").length <= depth)
    .sort((a, b) => a.length - b.length)[0];
  if (!manage) return undefined;
  const sub = manage.slice(top.length, -"manage.py".length).replace(/\/$/, "");
  const workdir = lastInstruction(t.instructions, "WORKDIR")?.args.replace(/\/+$/, "") ?? "";
  return !sub || workdir.endsWith(`/${sub}`) ? "python manage.py test" : `python ${sub}/manage.py test`;
}

/** package.json files the Dockerfile copies (a backend/ folder's, say), with a test runner. */
function nodeRunnerTest(t: TestContext): string | undefined {
  for (const pkg of t.hash.filter((h) => /(^|\/)package\.json$/.test(h))) {
    const dev = dependencies(t.repo.read(pkg));
    const runner = ["jest", "vitest", "mocha"].find((r) => dev.includes(r));
    if (runner) return runner === "vitest" ? "npx vitest run" : `npx ${runner}`;
  }
  return undefined;
}

function dependencies(pkg: string | undefined): string[] {
  try {
    const p = JSON.parse(pkg ?? "") as { dependencies?: object; devDependencies?: object };
    return [...Object.keys(p.devDependencies ?? {}), ...Object.keys(p.dependencies ?? {})];
  } catch {
    return [];
  }
}
