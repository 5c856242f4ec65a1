import { shellWord } from "../emit/shq.js";
import { posix } from "node:path";
import {
  asTestCommand,
  asTestWords,
  type CiCommand,
  ciCommands,
  ciPreparation,
  runnerOf,
  runTarget,
  scriptOf,
  scriptRunner,
  withoutEnvRunner,
} from "./ci-tests.js";
import { shellCommands, shellWords } from "./shell.js";
import { codeSourceIn } from "../dockerfile/code.js";
import { cdToRoot, codeRoot, type ContextKinds } from "../dockerfile/code-root.js";
import { execForm, type Instruction } from "../dockerfile/parse.js";
import type { Ecosystem, Tool } from "../dockerfile/toolchain.js";
import { scriptStarts } from "./ci-jobs.js";
import { entrypointProblem } from "./entrypoint.js";
import { type Compose, type ComposeService, testServices } from "./compose.js";
import { canonicalRepository } from "../spec/known-services.js";
import { scriptBuiltImages } from "./build-graph.js";
import { inFolder, lastInstruction, type Notes, type SpecPath } from "./repo.js";
import {
  buildRunsTests,
  buildTestRun,
  GUESS,
  isConvention,
  makeRecipe,
  makeTest,
  makeVariables,
  makeToShell,
  type Proposal,
  type RuleContext,
  RULES,
  runsTests,
} from "./test-rules.js";

/** A command run with `sh -c`, or an exec-form list (the spec's `test.command`). */
export type TestCommand = string | [string, ...string[]];

export interface TestGuess {
  command: TestCommand;
  environment: Record<string, string>;
  /** Its paths are from the image's working directory (not the repository's root): no `cd` before it. */
  inWorkdir?: boolean;
  /** The folder of the context it runs from, when not the root. */
  dir?: string;
  /** The image leaves the test tools out (`--no-dev`, `npm prune`): another Dockerfile may have them. */
  lacksTools?: boolean;
  /** No file named a command: the ecosystem's usual one was written. */
  placeholder?: boolean;
  /** In place of the image's ENTRYPOINT ("" for none): set when the image's own would not run the command. */
  entrypoint?: string;
}

/** What one image's test command is guessed from. */
export interface TestContext extends RuleContext {
  compose: Compose;
  /** Several images: the compose test service is not taken, as which image it runs is not known. */
  monorepo: boolean;
  /** The test stage's ecosystem: its rules come first, and only its tools' commands are proposed. */
  ecosystem?: Ecosystem;
  /** How the test stage is named in notes (`'builder' (FROM maven:3)`). */
  stageName?: string;
  /** `<context>: ` before each note in a monorepo. */
  label: string;
  /** Where a TODO about the test command goes. */
  commandAt: SpecPath;
  /** Where a TODO about what the image lacks for the tests goes: the stage they run in. */
  targetAt: SpecPath;
  /** The images the test stage's chain is built FROM (`golang:1.22-alpine`). */
  bases?: readonly string[];
}

/**
 * The test command: the compose test service's; else the first command the project declares
 * for the test stage's ecosystem (then for the other ecosystems whose tools it has, then `make
 * test`) whose tool the stage has; else the image's CMD when it runs tests; else the best guess,
 * with a TODO.
 */
export function guessTest(t: TestContext, notes: Notes): TestGuess {
  const blocked = entrypointProblem(t.repo, t.context, t.instructions);
  // A test runner's image (`ENTRYPOINT ["dotnet", "test", ...]`): what it runs is the project's own command.
  const runner = blocked ? entrypointTests(t.instructions) : undefined;
  if (runner) {
    notes.found.push(`${t.label}test command: the test stage's ENTRYPOINT (${runner}), run with no entrypoint of its own`);
    return { command: runner, environment: {}, inWorkdir: true, entrypoint: "" };
  }
  const guess = testCommand(t, notes);
  // Compose's own entrypoint for the tests replaces the image's: it is the one that runs.
  if (!blocked || guess.entrypoint !== undefined) return guess;
  // Cleared, the command runs as given; what the entrypoint set up (a wait, a migration) is not run.
  notes.todo.push({
    at: [...t.commandAt.slice(0, -1), "entrypoint"],
    text: `the tests run as 'IMAGE sh -c COMMAND', but ${blocked}: entrypoint "" runs the command without it; check the tests need nothing it sets up`,
  });
  return { ...guess, entrypoint: "" };
}

function testCommand(t: TestContext, notes: Notes): TestGuess {
  const service = composeTest(t, notes) ?? makeInCompose(t, notes);
  if (service) return service;
  const { inWorkdir, dir, ...guess } = fromFiles(t, notes);
  // Found from the repository's files, the command names paths from its root: it runs where the image starts.
  const cd = typeof guess.command === "string" && !inWorkdir ? cdToRoot(codeRoot(t.instructions, contextKinds(t)), dir) : "";
  // A command whose folder is not known (dir undefined) is moved only when the image starts outside the repository.
  if (cd) notes.found.push(`${t.label}the image starts outside the copied repository: the test command runs from it (${cd.slice(0, -4)})`);
  if (!cd) return guess;
  // `cd X && a || b` would run b where cd failed: a list of commands goes in a group.
  const command = guess.command as string;
  return { ...guess, command: /\|\||;|\||(^|[^&])&($|[^&])/.test(command) ? `${cd}{ ${command}; }` : `${cd}${command}` };
}

/**
 * A Makefile's test target that runs the tests in a compose service the project builds (by compose or by its scripts)
 * (`docker compose exec web bash -c "vendor/bin/phpunit"`, `docker-compose run --rm app go test
 * ./...`): the command it runs there, as the container runs it (from its working directory).
 */
function makeInCompose(t: TestContext, notes: Notes): TestGuess | undefined {
  const makefile = t.repo.read(inFolder(t.context, "Makefile")) ?? "";
  // A make variable the Makefile does not set (`$(only)`, given on the command line) is empty.
  const defined = new Set(makeVariables(makefile).keys());
  const steps: { service: string; command: string; svc: ComposeService }[] = [];
  for (const raw of makeRecipe(makefile, "test") ?? []) {
    const line = raw.replace(/\$[({]([A-Za-z_]\w*)[)}]/g, (all, v: string) => (defined.has(v) ? all : "")).trim();
    const m = /\bdocker(?:-compose|\s+compose)\s+(?:\S+\s+)*?(exec|run)\s+(.*)$/.exec(line.replace(/^[@-]+/, ""));
    if (!m) continue;
    const run = runTarget(shellWords(m[2]!));
    const svc = run && t.compose.services[run.target];
    if (!run || !svc || !(svc.build !== undefined || buildsImage(t, svc.image))) continue;
    steps.push({ service: run.target, command: run.command, svc });
  }
  // The runs in the first service, one after the other (`mix prepare_test`, then `mix test`).
  const service = steps[0]?.service;
  if (service === undefined) return undefined;
  const command = steps
    .filter((s) => s.service === service)
    .map((s) => s.command)
    .join(" && ");
  notes.found.push(`${t.label}test command: ${command} (the Makefile's test target runs it in compose's ${service})`);
  // It runs with that service's settings (`MIX_ENV: test` of a test overlay).
  return { command, environment: resolvedEnvironment(t, steps[0]!.svc, notes) };
}

/** Whether a compose service's image is one the repository's scripts build (`docker build -t acme_web`). */
function buildsImage(t: TestContext, image: unknown): boolean {
  const repository = typeof image === "string" ? canonicalRepository(t.compose.reader.quiet.interpolate(image)) : undefined;
  return repository !== undefined && scriptBuiltImages(t.repo).some((r) => canonicalRepository(r) === repository);
}

/** Where the context's folders and code are, as the image copies them. */
function contextKinds(t: TestContext): ContextKinds {
  const isCode = codeSourceIn(t.repo.files, t.context);
  return {
    isFolder: (src) => t.repo.files.some((f) => f.startsWith(`${inFolder(t.context, src)}/`)),
    isCode,
  };
}

function fromFiles(t: TestContext, notes: Notes): TestGuess {
  noteBuildTests(t, notes);
  // The build runs the tests in this stage already: the project's own command, known to work there.
  const inBuild = buildTestRun(t.instructions);
  if (inBuild) return take(t, { command: inBuild, why: "the Dockerfile's build runs it in this stage", needs: [], inWorkdir: true }, notes);
  const own = ecosystemsToTry(t).flatMap((e) => RULES[e](t));
  // The project's declared `make test` before a build tool's default, when the image can run it.
  const make = makeTest(t).filter((p) => p.needs.every((tool) => hasTool(t, tool)));
  const proposals = [...own.filter((p) => !isConvention(p)), ...make, ...own.filter(isConvention), ...makeTest(t)];
  const taken = proposals.find((p) => p.needs.every((tool) => hasTool(t, tool)));
  // The Makefile's test target running the same tool says how the project runs it (a folder, a filter);
  // a command the project does not name (a tool's default): its CI's run of the same tool.
  if (taken) return take(t, fromMakefile(t, taken) ?? (isConvention(taken) || taken.unsure ? fromCi(t, taken) : undefined) ?? taken, notes);
  const cmd = imageCmdTest(t, notes);
  if (cmd) return cmd;
  // No file names a command and the image shows no tool: the CI's run of the ecosystem's runner.
  const ci = t.ecosystem ? fromCi(t, { command: GUESS[t.ecosystem], why: "", needs: [] }) : undefined;
  if (ci && !proposals.length) return take(t, ci, notes);
  const missing = proposals[0];
  if (missing) {
    const tools = missing.needs.filter((tool) => !hasTool(t, tool)).join(", ");
    notes.guessed.push(`${t.label}test command: ${missing.command} (${missing.why}), but the test stage has no ${tools}`);
    notes.todo.push({
      at: t.commandAt,
      text: `${missing.command} needs ${tools}, which ${t.stageName ?? "the image"} does not have: install it in that stage, or choose the stage and command that run the tests`,
    });
    return { command: missing.command, environment: missing.environment ?? {} };
  }
  return placeholder(t, notes);
}

/**
 * The first command the project's CI runs with the same test tool as a guessed one (`go test -tags
 * skipCi ./...` for `go test ./...`), in the image's context: what the project runs, less the flags
 * of CI's reports and earlier steps. The guess's tools and environment stay.
 */
function fromCi(t: TestContext, guess: Proposal): Proposal | undefined {
  const runner = runnerOf(guess.command);
  if (!runner) return undefined;
  const top = t.context === "." ? "" : t.context;
  // A folder of the repository, in the image's context (not `cd /usr/src/app` of a CI container).
  const inContext = (dir: string) =>
    (dir === "" || t.repo.files.some((f) => f.startsWith(`${dir}/`))) && (top === "" || dir === top || dir.startsWith(`${top}/`));
  // A run of the tool, or of a script of the repository that runs it (`bash scripts/test.sh`).
  // A script that starts containers itself (`docker compose up -d db; pytest`) is meant for CI's machine, not the image.
  const startsContainers = (c: CiCommand) => {
    const path = scriptOf(t.repo, c.command, c.dir);
    return path !== undefined && scriptStarts(t.repo, t.repo.read(path) ?? "", 2, c.dir);
  };
  const runs = (c: CiCommand) => (runnerOf(c.command) ?? (startsContainers(c) ? undefined : scriptRunner(t.repo, c.command, c.dir))) === runner;
  const matching = ciCommands(t.repo).filter((c) => runs(c) && inContext(c.dir) && (!c.command.includes("${{") || scriptOf(t.repo, c.command, c.dir)));
  // Unit tests before integration, end-to-end or acceptance runs (which need the app, or more services), by the file's and the command's words.
  const kind = (c: { file: string; command: string }) => {
    const text = `${c.file} ${c.command}`.toLowerCase();
    return /integration|e2e|end-to-end|acceptance|functional|system|smoke/.test(text) ? 2 : /unit/.test(text) ? 0 : 1;
  };
  const found = matching.map((c, i) => ({ c, i })).sort((a, b) => kind(a.c) - kind(b.c) || a.i - b.i)[0]?.c;
  if (!found) return undefined;
  // The image has the Python environment on PATH: `uv run` is CI's way to reach it.
  const asImage = (c: string) => (venvOnPath(t) ? withoutEnvRunner(c) : c);
  // A script's arguments from CI's expressions (`"Coverage for ${{ github.sha }}"`) are CI's own.
  const own = (c: string) =>
    shellWords(c.replace(/\$\{\{[\s\S]*?\}\}/g, "\u0000"))
      .filter((w) => !w.includes("\u0000"))
      .join(" ");
  const { command: run, environment } = withoutAssignments(asTestCommand(asImage(own(found.command))));
  // CI's verbosity and batch flags alone say nothing the default does not.
  if (!addsTo(run, guess.command)) return undefined;
  // What CI's job runs first to prepare the tests (migrations, a prestart script), in the same folder.
  const prepared = ciPreparation(t.repo, found).filter((c) => c.dir === found.dir);
  const command = [...prepared.map((c) => asImage(c.command)), run].join(" && ");
  const { unsure: _, ...rest } = guess;
  return {
    ...rest,
    command,
    environment: { ...guess.environment, ...environment },
    why: `${found.file} runs it${prepared.length ? `, after ${prepared.map((c) => c.command).join(", ")}` : ""}`,
    dir: posix.relative(top, found.dir),
    inWorkdir: false,
    todo: `taken from ${found.file}: check that it runs in the image as it does there (CI's setup steps, its environment)`,
  };
}

/** The image's PATH has a Python virtual environment (`ENV PATH="/app/.venv/bin:$PATH"`, VIRTUAL_ENV). */
const venvOnPath = (t: TestContext) =>
  t.instructions.some((i) => i.op === "ENV" && (/\bPATH=\S*venv\S*\/bin/.test(i.args) || /\bVIRTUAL_ENV[=\s]/.test(i.args)));

/**
 * The command of the context's Makefile `test` target that runs the same test tool as a guess,
 * when it says more (`poetry run pytest tests/unit_tests/`): the project's own way, run without
 * make (the image may not have it). The Makefile's variables filled in; one it does not set is empty.
 */
function fromMakefile(t: TestContext, guess: Proposal): Proposal | undefined {
  const runner = runnerOf(guess.command);
  const makefile = t.repo.read(inFolder(t.context, "Makefile"));
  if (!runner || makefile === undefined) return undefined;
  const vars = makeVariables(makefile);
  // Files the recipe prepares before the run (`mkdir -p sandbox`): the tests may write there.
  const setup: string[] = [];
  for (const raw of makeRecipe(makefile, "test") ?? []) {
    const line = makeToShell(raw.replace(/^[@-]+/, ""), vars);
    if (line === undefined || line.startsWith("#")) continue;
    const commands = shellCommands(line);
    const found = commands.find((c) => runnerOf(c) === runner);
    if (!found) {
      setup.push(...commands.filter((c) => /^(mkdir|touch|cp|ln)\s/.test(c)));
      continue;
    }
    const { command, environment } = withoutAssignments(asTestCommand(found));
    if (!addsTo(command, guess.command)) return undefined;
    const { unsure: _, todo: __, ...rest } = guess;
    return {
      ...rest,
      command: [...setup, command].join(" && "),
      environment: { ...guess.environment, ...environment },
      why: "the Makefile's test target runs it",
      dir: "",
      inWorkdir: false,
    };
  }
  return undefined;
}

/** `A=1 B=2 cmd ...`: the assignments as the test's environment, and the command. */
function withoutAssignments(text: string): { command: string; environment: Record<string, string> } {
  const words = shellWords(text);
  const environment: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const m = /^([A-Za-z_]\w*)=(.*)$/.exec(words[i]!);
    if (!m) break;
    environment[m[1]!] = m[2]!.replace(/^(["'])([\s\S]*)\1$/, "$2");
  }
  return { command: words.slice(i).join(" "), environment };
}

/** Flags that change only what a run prints (`-v`, `--batch-mode`), and Maven's default file. */
const QUIET = /^(-v|--verbose|-q|--quiet|-B|--batch-mode|-ntp|--no-transfer-progress|-V|--show-version|-e|--errors|--color|--no-color|--ansi|--no-ansi)$/;

/** Whether a CI command says more than a tool's default: words besides the default's, output flags and `--file pom.xml`. */
function addsTo(ci: string, guess: string): boolean {
  const words = shellWords(ci).filter(
    (w, i, all) => !QUIET.test(w) && !(/^(-f|--file)$/.test(w) && all[i + 1] === "pom.xml") && !(w === "pom.xml" && /^(-f|--file)$/.test(all[i - 1] ?? "")),
  );
  const known = new Set(shellWords(guess).map((w) => w.replace(/^\.\//, "")));
  return words.some((w) => !known.has(w.replace(/^\.\//, "")));
}

/** The image's ecosystem first, then the others the stage has tools of (a base image init does not know: its ecosystem only). */
function ecosystemsToTry(t: TestContext): Ecosystem[] {
  const own = t.toolchain?.unknownBase === undefined ? (t.toolchain?.ecosystems ?? []) : [];
  return [...new Set([...(t.ecosystem ? [t.ecosystem] : []), ...own])];
}

/** Whether the test stage has a tool; with no Dockerfile, or a base image init does not know, it may. */
const hasTool = (t: TestContext, tool: Tool) => !t.toolchain || t.toolchain.unknownBase !== undefined || t.toolchain.tools.has(tool);

/**
 * `go test -race` needs cgo, so a C compiler: an Alpine image (`golang:1.22-alpine`) has none
 * unless its build installs one (`apk add build-base`, `gcc`). There, `-race` is left out.
 */
function withoutRace(t: TestContext, p: Proposal, notes: Notes): Proposal {
  if (!/^go\s+test\b.*\s-race\b/.test(p.command)) return p;
  const alpine = (t.bases ?? []).some((f) => /alpine/i.test(f));
  const compiler = t.built.some((i) => i.op === "RUN" && /\b(build-base|gcc|clang|musl-dev)\b/.test(i.args));
  if (!alpine || compiler) return p;
  notes.found.push(`${t.label}go test -race needs cgo and a C compiler, which the Alpine image does not have: -race left out`);
  return { ...p, command: p.command.replace(/\s-race\b/, "") };
}

function take(t: TestContext, given: Proposal, notes: Notes): TestGuess {
  const p = withoutRace(t, given, notes);
  notes.found.push(`${t.label}test command: ${p.command} (${p.why})`);
  if (p.todo) notes.todo.push({ at: t.commandAt, text: p.todo });
  if (p.imageTodo) notes.todo.push({ at: t.targetAt, text: p.imageTodo });
  const unknown = t.toolchain?.unknownBase;
  if (unknown !== undefined && p.needs.length)
    notes.todo.push({ at: t.commandAt, text: `the base image ${unknown || "(none)"} is not one init knows: check that it has ${p.needs.join(", ")}` });
  return {
    command: p.command,
    environment: p.environment ?? {},
    ...(p.inWorkdir ? { inWorkdir: true } : {}),
    ...(p.dir !== undefined ? { dir: p.dir } : {}),
    ...(p.imageTodo ? { lacksTools: true } : {}),
  };
}

/** A build that runs the tests already fails the build job on a failing test, and the test job runs them again. */
function noteBuildTests(t: TestContext, notes: Notes): void {
  const step = buildRunsTests(t);
  if (step)
    notes.guessed.push(
      `${t.label}the image's build runs the tests already ('RUN ${step}'); the test job runs them again (skip them in the build to save the time)`,
    );
}

/** None found: the ecosystem's usual command, or `make test`, written as a guess with a TODO. */
function placeholder(t: TestContext, notes: Notes): TestGuess {
  const text = cmdText(t.instructions);
  const command = t.ecosystem ? GUESS[t.ecosystem] : "make test";
  notes.guessed.push(
    `${t.label}test command: none found, '${command}' written as a placeholder${text ? ` (the image's CMD, ${text}, starts the app, not its tests)` : ""}`,
  );
  notes.todo.push({
    at: t.commandAt,
    text: `no test command found${t.ecosystem ? ` for this ${t.ecosystem} image` : " (the image's ecosystem is not one init recognises)"}: '${command}' is a guess`,
  });
  return { command, environment: {}, placeholder: true };
}

/** The compose test service's command and environment (`sut`, `test` or `tests`). */
function composeTest(t: TestContext, notes: Notes): TestGuess | undefined {
  if (t.monorepo) return undefined;
  const run = t.compose.ciRun;
  for (const name of testServices(t.compose)) {
    const svc = t.compose.services[name];
    // The command CI runs in the service says more than the service's own.
    const command = run?.service === name ? run.command : svc ? commandOf(svc) : undefined;
    if (!svc || !command) continue;
    notes.found.push(
      run?.service === name
        ? `test command from ${run.file}, run in compose's ${name}: ${run.command}`
        : `test command from the compose test service: ${typeof command === "string" ? command : command.join(" ")}`,
    );
    // CI's own steps in that service before the tests may be what they need (a schema, built assets), or only its habit.
    if (run?.service === name && run.prepare.length)
      notes.todo.push({
        at: t.commandAt,
        text: `${run.file} first runs ${run.prepare.map((c) => `'${c}'`).join(", ")} in compose's ${name}: prefix the command with those the tests need`,
      });
    return { ...withComposeEntrypoint(command, svc.entrypoint), environment: resolvedEnvironment(t, svc, notes) };
  }
  return undefined;
}

/**
 * The test command with the compose service's `entrypoint:`, which replaces the image's: none
 * (`""`, `[]`) or one program as `test.entrypoint`; the words after its program go before the
 * command (`[wait-for, db:5432, --]` with `pytest`: `wait-for` given `db:5432 -- sh -c pytest`).
 */
function withComposeEntrypoint(command: TestCommand, entrypoint: unknown): { command: TestCommand; entrypoint?: string } {
  if (entrypoint === undefined || entrypoint === null) return { command };
  const words = Array.isArray(entrypoint) ? entrypoint.map(String) : shellWords(String(entrypoint));
  if (!words.length || (words.length === 1 && words[0] === "")) return { command, entrypoint: "" };
  const [program, ...rest] = words as [string, ...string[]];
  // `sh -c` is how the pipeline runs the command already.
  if (/^(ba)?sh$/.test(posix.basename(program)) && rest.length === 1 && rest[0] === "-c") return { command, entrypoint: "" };
  if (!rest.length) return { command, entrypoint: program };
  const args = typeof command === "string" ? ["sh", "-c", command] : command;
  return { command: [rest[0]!, ...rest.slice(1), ...args], entrypoint: program };
}

/**
 * The environment of the compose service the tests run in, less the settings whose variable
 * compose could not fill in (no value in the environment file, no default): written as text they
 * would be wrong values. A TODO names them.
 */
function resolvedEnvironment(t: TestContext, svc: ComposeService, notes: Notes): Record<string, string> {
  const all = t.compose.reader.environment(svc.environment);
  const unset = Object.keys(all).filter((k) => /\$\{?[A-Za-z_]/.test(all[k]!));
  if (unset.length)
    notes.todo.push({
      at: t.commandAt,
      text: `the service's ${unset.join(", ")} ${unset.length > 1 ? "have" : "has"} no value here (a variable with no value in the compose variables): set ${unset.length > 1 ? "them" : "it"} in test.environment if the tests need ${unset.length > 1 ? "them" : "it"}`,
    });
  return Object.fromEntries(Object.entries(all).filter(([k]) => !unset.includes(k)));
}

/** A compose service's command; an empty one (null, "", []) runs the image's own and says nothing. */
function commandOf(svc: ComposeService): TestCommand | undefined {
  const c = svc.command;
  if (Array.isArray(c)) return c.length ? [String(c[0]), ...c.slice(1).map(String)] : undefined;
  return typeof c === "string" && c ? c : undefined;
}

/**
 * The image's CMD only when it runs tests: a CMD that starts the app would hold the job until
 * CircleCI's no-output timeout.
 */
function imageCmdTest(t: TestContext, notes: Notes): TestGuess | undefined {
  const cmd = cmdOf(t.instructions);
  const text = cmdText(t.instructions);
  if (!cmd || !/test|spec|check/i.test(text ?? "")) return undefined;
  notes.guessed.push(`${t.label}test command: the image's own CMD (${text}); check that it runs your tests`);
  return { command: cmd, environment: {} };
}

/** The test stage's ENTRYPOINT (with its CMD) as a command line, when it runs the tests. */
function entrypointTests(instructions: readonly Instruction[]): string | undefined {
  const at = instructions.map((i) => i.op).lastIndexOf("ENTRYPOINT");
  const words = at === -1 ? undefined : execForm(instructions[at]!.args.trim());
  if (!words?.length) return undefined;
  // Its arguments: a CMD after it (setting ENTRYPOINT resets one set before).
  const cmd = instructions.map((i) => i.op).lastIndexOf("CMD") > at ? cmdOf(instructions) : undefined;
  // Report flags left out, as of a CI command (`--logger trx`, `--results-directory`).
  const all = asTestWords([...words, ...(Array.isArray(cmd) ? cmd : [])]);
  const text = all.map(shellWord).join(" ");
  return runsTests(text) ? text : undefined;
}

const cmdText = (instructions: readonly Instruction[]) => {
  const cmd = cmdOf(instructions);
  return typeof cmd === "string" ? cmd : cmd?.join(" ");
};

/** The last CMD: exec form (a JSON list) as a list, else its text. */
function cmdOf(instructions: readonly Instruction[]): TestCommand | undefined {
  const args = lastInstruction(instructions, "CMD")?.args;
  if (!args?.startsWith("[")) return args || undefined;
  const words = execForm(args);
  // JSON that does not parse is the shell form to Docker.
  if (words === undefined) return args;
  return words.length ? [words[0]!, ...words.slice(1)] : undefined;
}
