import { posix } from "node:path";
import { parse } from "yaml";
import type { RepoView } from "./repo.js";
import { fileRank } from "./compose-files.js";
import { afterAssignments, shellCommands, shellWords } from "./shell.js";

/**
 * The commands the project's CI runs, as the test command's source where the repository names
 * none of its own: GitHub Actions steps (`run:`, with `working-directory`), GitLab CI `script:`,
 * Woodpecker `commands:`, CircleCI `run:` and Travis `script:`. Pure: the files come from the caller.
 */
export interface CiCommand {
  /** One simple command, as written (`go test -v $(go list ./...) -tags skipCi`). */
  command: string;
  /** The folder it runs in, from the repository's root ("" for the root). */
  dir: string;
  file: string;
  /** Its job in the file (a step, for Woodpecker). */
  job: string;
}

/** The CI files whose YAML init reads: GitHub Actions, GitLab CI, Woodpecker, CircleCI, Travis. */
export const CI_FILES =
  /^(\.github\/workflows\/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.woodpecker\.ya?ml|\.woodpecker\/[^/]+\.ya?ml|\.circleci\/config\.ya?ml|\.travis\.ya?ml)$/;

export function ciCommands(repo: RepoView): CiCommand[] {
  return ciScripts(repo).flatMap(({ script, dir, file, job }) => commandsIn(script, dir).map((c) => ({ ...c, file, job })));
}

/** Each shell script of the CI files, with its file, its job (a step, for Woodpecker) and its folder. */
export function ciScripts(repo: RepoView): (Script & { file: string })[] {
  const out: (Script & { file: string })[] = [];
  for (const file of repo.files.filter((f) => CI_FILES.test(f)).sort()) {
    let doc: unknown;
    try {
      doc = parse(repo.read(file) ?? "");
    } catch {
      continue; // a CI file that is not YAML says nothing here
    }
    out.push(...scriptsOf(file, doc).map((s) => ({ ...s, file })));
  }
  return out;
}

/** A script's simple commands, each with the folder it runs in (`cd backend && pytest`: what follows runs there). */
export function commandsIn(script: string, dir: string): { command: string; dir: string }[] {
  const out: { command: string; dir: string }[] = [];
  let at = dir;
  for (const command of shellCommands(script)) {
    const cd = /^cd\s+(\S+)$/.exec(command);
    if (cd) {
      const to = cd[1]!.replace(/^["']|["']$/g, "");
      at = (to.startsWith("/") ? posix.normalize(to) : posix.normalize(posix.join(at, to))).replace(/^\.$/, "");
      continue;
    }
    out.push({ command, dir: at });
  }
  return out;
}

/** A script and the folder it starts in; `job` names its job (GitHub, GitLab, CircleCI) or step (Woodpecker). */
export type Script = { script: string; dir: string; job: string };
/** The shapes a CI file's YAML is read through: a mapping, a list (one value is a list of one), its strings. */
export const record = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
export const text = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const folder = (v: unknown): string | undefined =>
  typeof v === "string" && !v.includes("${{")
    ? posix
        .normalize(v)
        .replace(/^\.\/?|\/$/g, "")
        .replace(/^\.$/, "")
    : undefined;

/** The shell scripts of one CI file, with the job and the folder each runs in. */
function scriptsOf(file: string, doc: unknown): Script[] {
  const top = record(doc);
  if (file.startsWith(".github/")) {
    const base = folder(record(record(top.defaults).run)["working-directory"]) ?? "";
    return Object.entries(record(top.jobs)).flatMap(([job, value]) => {
      const dir = folder(record(record(record(value).defaults).run)["working-directory"]) ?? base;
      return list(record(value).steps).flatMap((step) =>
        text(record(step).run).map((script) => ({ script, dir: folder(record(step)["working-directory"]) ?? dir, job })),
      );
    });
  }
  if (file.startsWith(".circleci/"))
    return Object.entries(record(top.jobs)).flatMap(([job, value]) =>
      list(record(value).steps).flatMap((step) => {
        const run = record(step).run;
        return typeof run === "string"
          ? [{ script: run, dir: "", job }]
          : text(record(run).command).map((script) => ({ script, dir: folder(record(run).working_directory) ?? "", job }));
      }),
    );
  if (file.startsWith(".woodpecker")) {
    const steps = top.steps ?? top.pipeline;
    const all = Array.isArray(steps) ? steps.map((s, i) => [String(record(s).name ?? i), s] as const) : Object.entries(record(steps));
    return all.flatMap(([job, step]) => text(record(step).commands).map((script) => ({ script, dir: folder(record(step).directory) ?? "", job })));
  }
  if (file.startsWith(".travis")) return text(top.script).map((script) => ({ script, dir: "", job: "script" }));
  // GitLab CI: every job's script.
  return Object.entries(top).flatMap(([job, value]) => text(record(value).script).map((script) => ({ script, dir: "", job })));
}

/**
 * What a test command runs, to match a CI command with the tool's default: `go test`, `dotnet
 * test`, `cargo test`, `mix test`, `npm test` (npm, yarn, pnpm, bun), `mvn test`, `gradle test`,
 * `pytest`, `rspec`, `phpunit`, `pest`, `make test`; through `uv run`, `poetry run`, `bundle exec`,
 * `python -m`, `php <script>`. Undefined for anything else.
 */
export function runnerOf(command: string): string | undefined {
  let words = afterAssignments(shellWords(command));
  for (;;) {
    const tool = (words[0] ?? "").split("/").pop()!;
    if (/^(uv|poetry|pipenv|pdm|hatch)$/.test(tool) && words[1] === "run") words = words.slice(2);
    else if (/^bundler?$/.test(tool) && words[1] === "exec") words = words.slice(2);
    else if (/^python[\d.]*$/.test(tool) && words[1] === "-m") words = words.slice(2);
    else if (/^php[\d.]*$/.test(tool)) words = words.slice(1).filter((w) => !w.startsWith("-"));
    else break;
  }
  const base = (words[0] ?? "").split("/").pop()!;
  const tool = base === "mvnw" ? "mvn" : base === "gradlew" ? "gradle" : base;
  const verb = words.slice(1).find((w) => !w.startsWith("-"));
  // cargo-nextest and cargo-insta run cargo's tests (`cargo nextest run`, `cargo insta test`).
  if (tool === "cargo" && /^(nextest|insta)$/.test(verb ?? "")) return "cargo test";
  if (/^(go|dotnet|cargo|mix|make)$/.test(tool)) return verb === "test" ? `${tool} test` : undefined;
  if (/^(npm|yarn|pnpm|bun)$/.test(tool)) {
    const script = verb === "run" ? words.slice(2).find((w) => !w.startsWith("-")) : verb;
    return script === "test" ? "npm test" : undefined;
  }
  if (/^(mvn|gradle)$/.test(tool)) {
    // `-x test` excludes the task; `-DskipTests` skips the tests of the phases it runs.
    const tasks = words.slice(1).filter((_w, i, all) => !/^(-x|--exclude-task)$/.test(all[i - 1] ?? ""));
    if (tasks.some((w) => /^-D(skipTests|maven\.test\.skip)(=true)?$/.test(w))) return undefined;
    return tasks.some((w) => /^(test|verify|check)$/.test(w)) ? `${tool} test` : undefined;
  }
  if (tool === "artisan") return verb === "test" ? "artisan test" : undefined;
  return /^(pytest|py\.test|rspec|phpunit|pest|jest|vitest)$/.test(tool) ? tool.replace("py.test", "pytest") : undefined;
}

/** Flags that write reports or coverage (the pipeline collects its own), or that need CI's earlier steps (`--no-build`). */
const DROPPED: [RegExp, boolean][] = [
  [/^--(no-build|no-restore)$/, false],
  [/^--(coverage(-text|-xml|-html|-clover|-cobertura|-php|-crap4j)?|cov-report|cov|junitxml|junit-xml|log-junit|logger|collect|results-directory)$/, true],
  [/^--(coverage[\w-]*|cov[\w-]*|junitxml|junit-xml|log-junit|logger|collect|results-directory)=/, false],
  [/^--logger:/, false], // dotnet's own form, `--logger:trx`
  [/^-(coverprofile|covermode|coverpkg)(=|$)/, true],
  // What makes a failing run pass (Maven's `--fail-never`, its ignored test failures): the pipeline must fail when the tests do.
  [/^(--fail-never|-fn|-Dmaven\.test\.failure\.ignore(=true)?)$/, false],
];

// `|| true` (or `|| :`, `|| exit 0`) after the command: the same, in the shell.
const IGNORES_FAILURE = /^(true|:|exit 0)$/;

/** `cargo nextest run`/`cargo insta test` as cargo's own runner (neither is in an image by default), less nextest's profile. */
function asCargoTest(words: string[]): string[] {
  if (words[0] !== "cargo" || !/^(nextest|insta)$/.test(words[1] ?? "") || !/^(run|test)$/.test(words[2] ?? "")) return words;
  const rest = words.slice(3).filter((w, i, all) => !/^--profile(=|$)/.test(w) && !(all[i - 1] === "--profile"));
  return ["cargo", "test", ...rest];
}

/** A CI command as a test command of the image: report, coverage and CI-step flags left out. */
export function asTestCommand(command: string): string {
  return asTestWords(shellWords(command)).join(" ");
}

/** `asTestCommand` on the words of a command. */
export function asTestWords(command: readonly string[]): string[] {
  const or = command.indexOf("||");
  const words = asCargoTest(or !== -1 && IGNORES_FAILURE.test(command.slice(or + 1).join(" ")) ? command.slice(0, or) : [...command]);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const rule = DROPPED.find(([re]) => re.test(w));
    if (!rule) {
      out.push(w);
      continue;
    }
    // A flag that takes a value as the next word (`--log-junit junit.xml`, `-coverprofile c.out`), unless it is given with `=`.
    const valued =
      rule[1] &&
      !w.includes("=") &&
      /^(--(coverage-(xml|html|clover|cobertura|php|crap4j)|cov-report|junitxml|junit-xml|log-junit|logger|collect|results-directory)|-(coverprofile|covermode|coverpkg))$/.test(
        w,
      );
    if (valued) i++;
  }
  // `php -dxdebug.mode=coverage vendor/bin/phpunit`: the coverage driver's setting goes with the coverage.
  const kept = out.filter((w, i) => !(i > 0 && /^php[\d.]*$/.test(out[0]!) && /^-d\s*xdebug\.mode=coverage$/.test(w)));
  // `npm test -- --coverage` less its flag: no `--` left with nothing after it.
  if (kept[kept.length - 1] === "--") kept.pop();
  return kept;
}

/** Where CI runs the tests in a compose service: `docker compose -f ci.yml run --rm django python manage.py test`. */
export interface CiComposeRun {
  /** The compose files given with `-f` (repository paths), in order; empty for compose's default. */
  files: string[];
  service: string;
  /** For `docker exec`: the container's name, whose compose service is the one (`container_name:`). */
  container?: string;
  /** The command run in the service, as a test command (`coverage run` unwrapped, report flags left out). */
  command: string;
  /** What the job runs in the same service first (`rails db:setup`, `rails assets:precompile`): the tests' preparation. */
  prepare: string[];
  file: string;
}

/** Options of `docker compose run`/`exec` that take a value. */
const RUN_VALUED = /^(-e|--env|-w|--workdir|-u|--user|--name|--entrypoint|-p|--publish|-v|--volume|-l|--label|--env-file|--index)$/;

/**
 * The first CI command that runs a test tool in a compose service (`docker compose -f ci.yml run
 * --rm django coverage run manage.py test`): the project's own way to run its tests, with the
 * compose files, the service and the command.
 */
export function ciComposeRun(repo: RepoView): CiComposeRun | undefined {
  const runs: CiComposeRun[] = [];
  // The compose files of the last `docker compose -f ... up` of each CI file: where a `docker exec <container>` runs.
  const upFiles = new Map<string, string[]>();
  // Each job's earlier commands in a service (or container), by `file job target`.
  const earlier = new Map<string, string[]>();
  for (const c of ciCommands(repo)) {
    const compose = composeCommand(c);
    if (compose?.verb === "up") upFiles.set(c.file, compose.files);
    // `docker compose run|exec` in a service, or `docker exec` in a container compose started: its arguments.
    const inService = compose && /^(run|exec)$/.test(compose.verb) ? compose.args : undefined;
    const words = compose ? [] : shellWords(c.command);
    const inContainer = words[0] === "docker" && words[1] === "exec" ? words.slice(2) : undefined;
    const run = inService ? testRun(repo, c, compose!.files, inService) : inContainer && testRun(repo, c, upFiles.get(c.file) ?? [], inContainer, true);
    const args = inService ?? inContainer;
    const target = args && runTarget(args);
    const key = target && `${c.file}\u0000${c.job}\u0000${target.target}`;
    if (run) runs.push({ ...run, prepare: (key && earlier.get(key)) || [] });
    else if (key && preparesIn(target.command)) earlier.set(key, [...(earlier.get(key) ?? []), target.command]);
  }
  // Several: the one with compose files named for tests or CI (`ci.yml`) over one for development (`local.yml`).
  const rankOf = (r: CiComposeRun) => Math.min(...r.files.map((f) => fileRank(f)), r.files.length ? 9 : 1);
  return runs.map((r, i) => ({ r, i })).sort((a, b) => rankOf(a.r) - rankOf(b.r) || a.i - b.i)[0]?.r;
}

/** `docker compose [-f F]... VERB ARGS` (or `docker-compose`): its files (repository paths), verb and the words after it. */
function composeCommand(c: CiCommand): { files: string[]; verb: string; args: string[] } | undefined {
  const words = shellWords(c.command);
  let i = words[0] === "docker-compose" ? 1 : words[0] === "docker" && words[1] === "compose" ? 2 : -1;
  if (i === -1) return undefined;
  const files: string[] = [];
  // Global options, then the subcommand.
  while (i < words.length && words[i]!.startsWith("-")) {
    const w = words[i]!;
    const eq = /^(-f|--file)=(.+)$/.exec(w);
    if (eq) files.push(eq[2]!);
    else if (/^(-f|--file)$/.test(w)) files.push(words[++i] ?? "");
    else if (/^(-p|--project-name|--profile|--env-file|--project-directory|--ansi|--progress|--parallel)$/.test(w)) i++;
    i++;
  }
  return { files: files.map((f) => posix.normalize(posix.join(c.dir, unquote(f)))), verb: words[i] ?? "", args: words.slice(i + 1) };
}

/** `[options] SERVICE CMD...` of `run`/`exec` (or `docker exec`): a run of the tests when CMD runs a test tool, or a test script of the repository. */
/**
 * The arguments of `run`/`exec` (compose's or `docker exec`'s): its options skipped (`--rm`, `-e
 * X=1`, `--workdir /x`), the service or container, and the command run there (`sh -c "..."` unwrapped).
 */
export function runTarget(args: readonly string[]): { target: string; command: string } | undefined {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) i += RUN_VALUED.test(args[i]!) ? 2 : 1;
  const target = args[i];
  const rest = args.slice(i + 1).map(unquote);
  if (!target || !rest.length) return undefined;
  return { target, command: /^(ba)?sh$/.test(rest[0]!) && rest[1] === "-c" && rest.length === 3 ? rest[2]! : rest.join(" ") };
}

function testRun(repo: RepoView, c: CiCommand, files: string[], args: string[], container = false): CiComposeRun | undefined {
  const run = runTarget(args);
  if (!run) return undefined;
  const { target } = run;
  const command = asTestCommand(unwrapCoverage(run.command));
  const first = shellWords(command)[0] ?? "";
  // A script of the repository named for the tests (`./run_pytest.sh`, `bin/test`).
  const script = !first.startsWith("/") && /test/i.test(first.split("/").pop()!) && repo.files.includes(posix.normalize(first));
  if (!runnerOf(command) && !script && !/(^|\s|\/)manage\.py test\b|\brails test\b|^make test\b/.test(command)) return undefined;
  return { files, ...(container ? { container: target, service: "" } : { service: target }), command, prepare: [], file: c.file };
}

/** A command CI runs in the tests' service before them that the image needs too: not an install (the image has its dependencies), not CI's expression. */
const preparesIn = (command: string): boolean => !command.includes("${{") && !installs(afterAssignments(shellWords(command)));

/** A package manager's install (`bundle install`, `npm ci`): CI's setup, which the image has done. */
const installs = (words: readonly string[]): boolean => words.slice(1).some((w) => /^(install|add|ci|sync|restore|get)$/.test(w));

const unquote = (w: string) => w.replace(/^(["'])([\s\S]*)\1$/, "$2");

/** `coverage run [-m] X ...` runs X with python, measured: the tests are `python [-m] X ...`. */
function unwrapCoverage(command: string): string {
  const words = shellWords(command);
  if (words[0] !== "coverage" || words[1] !== "run") return command;
  let i = 2;
  while (i < words.length && words[i]!.startsWith("-") && words[i] !== "-m") i++;
  return ["python", ...words.slice(i)].join(" ");
}

/** Wrappers that run a command in the project's environment: `uv run`, `poetry run`, `bundle exec`. */
const ENV_RUNNER = /^(uv|poetry|pipenv|pdm|hatch)\s+run\s+|^bundler?\s+exec\s+/;

/**
 * The repository script a CI command runs (`bash scripts/test.sh`, `./ci/test`, `uv run bash
 * x.sh`), as a path from the repository's root; undefined for any other command.
 */
export function scriptOf(repo: RepoView, command: string, dir: string): string | undefined {
  const words = shellWords(command.replace(ENV_RUNNER, "")).filter((w) => !/^[A-Za-z_]\w*=/.test(w));
  const shell = /^(ba|da|z)?sh$/.test(words[0] ?? "");
  const file = shell ? words.slice(1).find((w) => !w.startsWith("-")) : (words[0] ?? "").includes("/") ? words[0] : undefined;
  if (file === undefined || file.startsWith("/") || file.includes("$")) return undefined;
  const path = posix.normalize(posix.join(dir, file));
  return repo.files.includes(path) ? path : undefined;
}

/**
 * The test runner a repository script runs, reading the scripts it runs in turn (`tests-start.sh`
 * runs `bash scripts/test.sh`, which runs `coverage run -m pytest`), `depth` levels down.
 */
export function scriptRunner(repo: RepoView, command: string, dir: string, depth = 2): string | undefined {
  const path = scriptOf(repo, command, dir);
  if (path === undefined || depth === 0) return undefined;
  const folder = posix.dirname(path) === "." ? "" : posix.dirname(path);
  for (const c of commandsIn(repo.read(path) ?? "", dir)) {
    const bare = afterAssignments(shellWords(c.command)).join(" ");
    const runner = runnerOf(unwrapCoverage(bare)) ?? scriptRunner(repo, c.command, c.dir, depth - 1) ?? scriptRunner(repo, c.command, folder, depth - 1);
    if (runner) return runner;
  }
  return undefined;
}

/** Words that say a step prepares what the tests run against: a schema, its data, the app's first start. */
const PREPARES = /\b(migrat\w*|db:\w+|ecto\.\w+|schema|seed\w*|createdb|upgrade head|fixtures?|prestart|pre_start)\b/i;

/**
 * The steps of CI's job that prepare the tests before `found` runs them (`php artisan migrate`,
 * `rake db:schema:load`, a `scripts/prestart.sh` that runs `alembic upgrade head`), in order: those
 * whose words, or whose script's, say so. Container and install steps are CI's own setup, not these.
 */
export function ciPreparation(repo: RepoView, found: CiCommand): CiCommand[] {
  const job = ciCommands(repo).filter((c) => c.file === found.file && c.job === found.job);
  const before = job.slice(
    0,
    job.findIndex((c) => c.command === found.command && c.dir === found.dir),
  );
  return before.filter((c) => {
    // CI's own setup: containers, database clients, installs, and anything aimed at the CI machine (localhost).
    const bare = afterAssignments(shellWords(c.command));
    const tool = (bare[0] === "sudo" ? bare[1] : bare[0]) ?? "";
    if (c.command.includes("${{") || /\b(localhost|127\.0\.0\.1)\b/.test(c.command)) return false;
    if (/^(docker|docker-compose|podman|mysql|psql|createdb|systemctl|service)$/.test(tool)) return false;
    if (installs(bare)) return false;
    const script = scriptOf(repo, c.command, c.dir);
    return PREPARES.test(script ? `${c.command}\n${repo.read(script) ?? ""}` : c.command);
  });
}

/**
 * A command less the wrapper that puts a Python environment on PATH (`uv run pytest` → `pytest`,
 * `uv run --frozen alembic upgrade head` → `alembic upgrade head`), for an image whose PATH has it.
 * Only uv's and Poetry's, and only with flags that take no value: pdm, hatch and pipenv also run
 * scripts of their own by name, which are no programs on PATH.
 */
export function withoutEnvRunner(command: string): string {
  const words = shellWords(command);
  if (!/^(uv|poetry)$/.test(words[0] ?? "") || words[1] !== "run") return command;
  let i = 2;
  while (/^(--frozen|--locked|--no-sync|--offline|--all-extras|--no-dev|--isolated|-q|--quiet|-v|--verbose)$/.test(words[i] ?? "")) i++;
  return words[i]?.startsWith("-") ? command : words.slice(i).join(" ");
}
