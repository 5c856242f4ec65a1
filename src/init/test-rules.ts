import { escapeRegExp } from "../spec/regex.js";
import { posix } from "node:path";
import type { Toolchain } from "../dockerfile/facts.js";
import type { Instruction } from "../dockerfile/parse.js";
import { copySources, runCommand } from "../dockerfile/parse.js";
import { simpleCommands, toolsToRun, type Ecosystem, type Tool } from "../dockerfile/toolchain.js";
import { inputMatcher } from "../hash/glob.js";
import { commandsIn, runnerOf } from "./ci-tests.js";
import { inFolder, lastInstruction, type RepoView } from "./repo.js";
import { workspaceManifests } from "./workspaces.js";
import { shellWords } from "./shell.js";

/** What the test command of one image is read from: the repository, and the chain of the stage the tests run in. */
export interface RuleContext {
  repo: RepoView;
  context: string;
  /** The test stage's chain of instructions, first base first (the whole Dockerfile's, without stages). */
  instructions: Instruction[];
  /** The instructions of every stage the test stage is built from (those it copies from too), in file order. */
  built: Instruction[];
  /** Context paths the chain copies (`.` for the whole context). */
  copied: readonly string[];
  /** The image's hash inputs: the manifests it installs from (a backend/ folder's package.json). */
  hash: readonly string[];
  toolchain?: Toolchain;
  /** Whether the build context leaves a path out (its .dockerignore), from the context's root. */
  ignored?: (path: string) => boolean;
}

/** A command a project declares, the tools it needs in the image, and why it is taken. */
export interface Proposal {
  command: string;
  why: string;
  needs: Tool[];
  environment?: Record<string, string>;
  /** Something to check even when the command is taken. */
  todo?: string;
  /** Something the image lacks for it (the test tools left out): a TODO at the stage the tests run in. */
  imageTodo?: string;
  /** The command's paths are from the image's working directory, not from the repository's root. */
  inWorkdir?: boolean;
  /** The folder of the context it runs from (a package.json's), when not the root. */
  dir?: string;
  /** One of several the project has (solutions): how its CI runs the same tool comes first. */
  unsure?: boolean;
}

const read = (t: RuleContext, path: string) => t.repo.read(inFolder(t.context, path)) ?? "";
const has = (t: RuleContext, path: string) => t.repo.files.includes(inFolder(t.context, path));
/** Whether the stage's chain copies a context path into the image. */
const copies = (t: RuleContext, path: string) => !t.ignored?.(path) && t.copied.some((src) => src === "." || inputMatcher(src)(path));
/** A wrapper the image copies, or would once the code is copied in (no stage it is built from copies any of the context yet: a TODO says so). */
const wrapperIn = (t: RuleContext, path: string) =>
  has(t, path) && (copies(t, path) || !t.built.some((i) => (i.op === "COPY" || i.op === "ADD") && (copySources(i.args)?.length ?? 0) > 0));
/** The RUN commands of the test stage's chain, or of every stage it is built from. */
const runs = (t: RuleContext, of: "chain" | "built" = "chain") =>
  (of === "chain" ? t.instructions : t.built).filter((i) => i.op === "RUN").map((i) => runCommand(i.args));

/**
 * A project file by name: at the top of the context, else one the Dockerfile copies by name (a
 * `backend/package.json`), as a repository path.
 */
function projectFile(t: RuleContext, name: RegExp): string | undefined {
  const top = inFolder(t.context, "");
  const base = (f: string) => f.split("/").pop() ?? f;
  const atTop = t.repo.files.find((f) => f.startsWith(top) && !f.slice(top.length).includes("/") && name.test(base(f)));
  if (atTop) return atTop;
  const named = t.copied.filter((src) => src !== ".").map((src) => inFolder(t.context, src));
  return t.repo.files.find((f) => name.test(base(f)) && named.some((src) => inputMatcher(src)(f)));
}

/** The ENV and ARG values the chain sets (the last one wins): `ENV A=1 B="x y"`, the older `ENV A value`, `ARG A=1`. */
function environment(t: RuleContext): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of t.instructions.filter((i) => i.op === "ENV" || i.op === "ARG")) {
    const legacy = ins.op === "ENV" && !ins.args.includes("=") ? /^([A-Za-z_]\w*)\s+(.*)$/.exec(ins.args) : null;
    if (legacy) env.set(legacy[1]!, legacy[2]!);
    for (const m of legacy ? [] : ins.args.matchAll(/([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)/g)) env.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return env;
}

/**
 * A build tool's own default command, which no file of the project names as the way it tests: the
 * project's CI may pass a filter, a package list or a profile that no file declares. Taken, with
 * a TODO to check it.
 */
const convention = (command: string) =>
  `${command} is the build tool's default, not a command the project names: check it against how the project's CI runs the tests (a filter, the packages, a profile)`;

const java = (t: RuleContext): Proposal[] => {
  const out: Proposal[] = [];
  // The tool the Dockerfile builds with: `mvn` in a maven image even when the repository has a wrapper.
  const built = runs(t).join("\n");
  const pom = projectFile(t, /^pom\.xml$/);
  if (pom) {
    const wrapper = wrapperIn(t, "mvnw") && !(/(^|[\s;&|(])mvn\s/m.test(built) && !/mvnw\b/.test(built));
    if (wrapper)
      out.push({ command: "./mvnw -B test", why: "pom.xml and the Maven wrapper", needs: ["java"], todo: convention("./mvnw -B test"), ...fromRoot(t, pom) });
    out.push({ command: "mvn -B test", why: "pom.xml found", needs: ["mvn"], todo: convention("mvn -B test"), ...fromRoot(t, pom) });
  }
  const gradle = projectFile(t, /^(build|settings)\.gradle(\.kts)?$/);
  if (gradle) {
    const wrapper = wrapperIn(t, "gradlew") && !(/(^|[\s;&|(])gradle\s/m.test(built) && !/gradlew\b/.test(built));
    if (wrapper)
      out.push({ command: "./gradlew test", why: "Gradle build and its wrapper", needs: ["java"], todo: convention("./gradlew test"), ...fromRoot(t, gradle) });
    out.push({ command: "gradle test", why: "Gradle build found", needs: ["gradle"], todo: convention("gradle test"), ...fromRoot(t, gradle) });
  }
  return out;
};

/** `dir: ""` when the file the command is found from is at the context's root: the command runs from there. */
const fromRoot = (t: RuleContext, file: string): { dir?: string } => (file.slice(inFolder(t.context, "").length).includes("/") ? {} : { dir: "" });

/**
 * `cargo test`; `--workspace` where a bare `cargo test` would leave members out: a root manifest
 * that is a package and a workspace at once (it tests the root package only), or a workspace with
 * `default-members` (it tests those only). In a virtual workspace without them, every member.
 */
const rust = (t: RuleContext): Proposal[] => {
  const manifest = projectFile(t, /^Cargo\.toml$/);
  if (!manifest) return [];
  const toml = t.repo.read(manifest) ?? "";
  // Without --workspace, cargo tests the root package of a package-and-workspace, or the default-members.
  const workspace = /^\[workspace\]/m.test(toml) && (/^\[package\]/m.test(toml) || /^\s*default-members\s*=/m.test(toml));
  const command = workspace ? "cargo test --workspace" : "cargo test";
  return [{ command, why: "Cargo.toml found", needs: ["cargo"], todo: convention(command), ...fromRoot(t, manifest) }];
};
const go = (t: RuleContext): Proposal[] => {
  const mod = projectFile(t, /^go\.mod$/);
  return mod ? [{ command: "go test ./...", why: "go.mod found", needs: ["go"], todo: convention("go test ./..."), ...fromRoot(t, mod) }] : [];
};

/** `mix test`; in the test environment when the image sets another one (`ENV MIX_ENV=prod`). */
const elixir = (t: RuleContext): Proposal[] => {
  const mix = projectFile(t, /^mix\.exs$/);
  if (!mix) return [];
  const mixEnv = environment(t).get("MIX_ENV");
  const prodOnly = runs(t).some((r) => /deps\.get\b[^&;|]*--only\s+(prod|\$\{?MIX_ENV\}?)/.test(r)) && mixEnv !== "test";
  return [
    {
      ...fromRoot(t, mix),
      command: "mix test",
      why: "mix.exs found",
      needs: ["mix"],
      environment: mixEnv && mixEnv !== "test" ? { MIX_ENV: "test" } : undefined,
      imageTodo: prodOnly
        ? "the image fetches only the prod dependencies (mix deps.get --only): the test dependencies are missing; fetch them in the test stage"
        : undefined,
    },
  ];
};

/** `dotnet test`: of the one solution or project at the top, else of the test project. */
const dotnet = (t: RuleContext): Proposal[] => {
  const top = inFolder(t.context, "");
  const inContext = t.repo.files.filter((f) => f.startsWith(top)).map((f) => f.slice(top.length));
  const atTop = inContext
    .filter((f) => !f.includes("/") && /\.(slnx?|csproj|fsproj|vbproj)$/.test(f))
    // The solution named after the repository first (`shop.sln` in shop/): the project's own, not a tools one.
    .sort((a, b) => Number(stem(b) === t.repo.name.toLowerCase()) - Number(stem(a) === t.repo.name.toLowerCase()));
  const projects = inContext.filter((f) => /\.(csproj|fsproj|vbproj)$/.test(f));
  if (!atTop.length && !projects.length) return [];
  const tests = projects.filter((f) => /tests?\b/i.test(f) || /Microsoft\.NET\.Test\.Sdk/.test(read(t, f)));
  if (atTop.length > 1)
    return [
      {
        command: `dotnet test ${atTop[0]}`,
        why: "several solutions or projects",
        needs: ["dotnet"],
        todo: `several solutions or projects: ${atTop.join(", ")}`,
        dir: "",
        unsure: true,
      },
    ];
  if (atTop.length || tests.length !== 1 || !copies(t, tests[0]!))
    return [{ command: "dotnet test", why: ".NET projects found", needs: ["dotnet"], todo: convention("dotnet test"), ...(atTop.length ? { dir: "" } : {}) }];
  return [{ command: `dotnet test ${tests[0]}`, why: "the test project", needs: ["dotnet"], dir: "" }];
};

const stem = (file: string) => file.replace(/\.[^.]+$/, "").toLowerCase();

/** `composer test` (scripts.test), Laravel's `php artisan test`, Pest, PHPUnit: with vendor/ installed in the image. */
const php = (t: RuleContext): Proposal[] => {
  const composerFile = projectFile(t, /^composer\.json$/);
  const composer = parseJson(composerFile ? t.repo.read(composerFile) : undefined) as {
    scripts?: { test?: unknown };
    require?: object;
    "require-dev"?: object;
  };
  const deps = [...Object.keys(composer.require ?? {}), ...Object.keys(composer["require-dev"] ?? {})];
  // Composer's bin-dir (config.bin-dir, else <vendor-dir>/bin, else vendor/bin): where pest and phpunit are.
  const config = (composer as { config?: { "vendor-dir"?: unknown; "bin-dir"?: unknown } }).config ?? {};
  const vendor = typeof config["vendor-dir"] === "string" ? config["vendor-dir"].replace(/\/+$/, "") : "vendor";
  const bin = typeof config["bin-dir"] === "string" ? config["bin-dir"].replace(/\/+$/, "") : `${vendor}/bin`;
  const installs = runs(t, "built").filter((r) => /\bcomposer(\s+(-d|--working-dir)\s+\S+|\s+-[-\w=/.]+)*\s+(install|update)\b/.test(r));
  const imageTodo = installs.some((r) => /--no-dev\b/.test(r))
    ? "the image installs its composer dependencies with --no-dev: the test tools are not in it"
    : !installs.length && !has(t, `${vendor}/autoload.php`)
      ? "the image installs no composer dependencies (vendor/): add 'RUN composer install' to the test stage"
      : undefined;
  const out: Proposal[] = [];
  // A `test:unit` script is the unit tests alone (`test` may run every suite): the pipeline's.
  if ((composer.scripts as Record<string, unknown> | undefined)?.["test:unit"] !== undefined)
    out.push({ command: "composer test:unit", why: "composer.json has a test:unit script", needs: ["composer"], imageTodo });
  if (composer.scripts?.test !== undefined) out.push({ command: "composer test", why: "composer.json has a test script", needs: ["composer"], imageTodo });
  if (has(t, "artisan") && deps.includes("laravel/framework"))
    out.push({ command: "php artisan test", why: "a Laravel application", needs: ["php"], imageTodo });
  if (deps.includes("pestphp/pest"))
    out.push({ command: `${bin}/pest${pestTests(t, composerFile, vendor)}`, why: "Pest is a dependency", needs: ["php"], imageTodo });
  // Without a configuration at the top, a bare phpunit runs nothing: how the project's CI runs it comes first.
  const configured = has(t, "phpunit.xml") || has(t, "phpunit.xml.dist");
  if (deps.includes("phpunit/phpunit") || configured)
    out.push({ command: `${bin}/phpunit`, why: "PHPUnit is set up", needs: ["php"], imageTodo, ...(configured ? {} : { unsure: true }) });
  return out;
};

/**
 * Pest looks for its tests in `tests/` of the vendor folder's parent: with a vendor-dir below the
 * project (`src/vendor`), the project's `tests/` is given by `--test-directory`, relative to that parent.
 */
function pestTests(t: RuleContext, composerFile: string | undefined, vendor: string): string {
  const parent = posix.dirname(vendor);
  if (parent === "." || !composerFile) return "";
  const project = posix.dirname(composerFile);
  const tests = t.repo.files.some((f) => f.startsWith(inFolder(project, "tests/")));
  return tests ? ` --test-directory ${posix.relative(parent, "tests")}` : "";
}

/** pytest or Django's runner, through uv or poetry when the image installs with them into a virtualenv of their own. */
const python = (t: RuleContext): Proposal[] => {
  const runner = pythonRunner(t);
  const out: Proposal[] = [];
  const django = djangoTest(t);
  const viaDjango = django && { command: `${runner.prefix}${django.command}`, why: "a Django project", needs: runner.needs, inWorkdir: django.inWorkdir };
  // pytest runs a Django project's tests only with pytest-django (which sets Django up): without it, Django's own runner.
  // A project that configures pytest may have written its tests for it: Django's runner would not find them.
  if (viaDjango && !pytestDeclared(t, "-django"))
    out.push(
      pytestConfigured(t)
        ? {
            ...viaDjango,
            todo: "the project configures pytest, which the image does not install with pytest-django: its tests may be written for pytest; install the test requirements in the image and run pytest if so",
          }
        : viaDjango,
    );
  // pytest reads its configuration from where it runs and the folders above: one kept only in a folder is read from there.
  const folder = pytestConfigured(t) ? undefined : pytestIniFolder(t);
  const where = folder === undefined ? {} : { dir: folder };
  const from = folder === undefined ? "" : ` (its pytest.ini is in ${folder}/, read when pytest runs there)`;
  if (pytestDeclared(t)) out.push({ command: `${runner.prefix}pytest`, why: `pytest is a dependency${from}`, needs: runner.needs, ...where });
  if (viaDjango) out.push(viaDjango);
  if (pytestConfigured(t) || folder !== undefined)
    out.push({ command: `${runner.prefix}pytest`, why: `pytest configuration found${from}`, needs: runner.needs, ...where });
  const imageTodo = withoutDevGroups(t);
  return imageTodo ? out.map((p) => ({ ...p, imageTodo })) : out;
};

/** Whether the image installs its Python packages without the development groups (where pytest usually is): the last project install decides. */
function withoutDevGroups(t: RuleContext): string | undefined {
  // Every stage the test stage is built from: a builder's `uv sync --no-dev` copied in counts.
  const installs = runs(t, "built")
    .flatMap((r) => simpleCommands(r))
    // A tool by its path (`/root/.local/bin/uv sync`, where uv's installer puts it) by its name.
    .map(([tool, ...rest]) => [tool!.split("/").pop()!, ...rest].join(" "))
    .filter(
      (c) => /^uv (sync|pip sync)\b/.test(c) || /^poetry install\b/.test(c) || (/^pipenv install\b/.test(c) && !/^pipenv install(\s+-\S+)*\s+[^-\s]/.test(c)),
    );
  const last = installs[installs.length - 1];
  if (!last) return undefined;
  const flag = /^uv/.test(last)
    ? /\s--no-dev\b|\s--only-group[= ]main\b/.test(last) && "uv sync --no-dev"
    : /^poetry/.test(last)
      ? /\s(--only[= ]main|--without[= ]\S*\b(dev|test)\b|--no-dev)\b/.test(last) && "poetry install without the dev group"
      : !/\s(--dev|-d)\b/.test(last) && "pipenv install without --dev";
  return flag
    ? `the image installs its packages without the development groups (${flag}): check that the test runner is in it, or install them in the test stage`
    : undefined;
}

function pythonRunner(t: RuleContext): { prefix: string; needs: Tool[] } {
  const env = environment(t);
  const venvOnPath = /\.venv|venv\/bin/.test(env.get("PATH") ?? "") || env.has("VIRTUAL_ENV") || env.has("UV_PROJECT_ENVIRONMENT");
  const all = runs(t).join("\n");
  if (/\buv\s+sync\b/.test(all) && !venvOnPath) return { prefix: "uv run ", needs: ["uv"] };
  if (/\bpoetry\s+install\b/.test(all) && !venvOnPath && !/^(false|0)$/i.test(env.get("POETRY_VIRTUALENVS_CREATE") ?? ""))
    return { prefix: "poetry run ", needs: ["poetry"] };
  return { prefix: "", needs: ["python"] };
}

/** rspec, Rails' runner, rake test; in the test environment when the image sets another (`ENV RAILS_ENV=production`). */
const ruby = (t: RuleContext): Proposal[] => {
  const command = rubyTest(t);
  if (!command) return [];
  const env = environment(t);
  const other = ["RAILS_ENV", "RACK_ENV"].filter((v) => env.has(v) && env.get(v) !== "test");
  // BUNDLE_WITHOUT, `bundle config [set] [--local] without '...'` or `bundle install --without ...`: the last one says.
  const set = runs(t, "built")
    .flatMap((r) => [
      ...r.matchAll(/\bbundle\s+(?:config\s+(?:set\s+)?(?:--(?:local|global)\s+)?without|install\b[^&;|]*?--without)[\s=]+(["']?)([\w:, -]+)\1/g),
    ])
    .map((m) => m[2]!.trim());
  const without = set[set.length - 1] ?? env.get("BUNDLE_WITHOUT") ?? "";
  const how = set.length ? `bundle config without '${without}'` : `BUNDLE_WITHOUT=${without}`;
  return [
    {
      command,
      why: "from the Gemfile",
      needs: ["ruby"],
      environment: other.length ? Object.fromEntries(other.map((v) => [v, "test"])) : undefined,
      imageTodo: /(^|[\s:,])test([\s:,]|$)/.test(without) ? `the image's bundle leaves out the test group (${how}): install it in the test stage` : undefined,
    },
  ];
};

/** The package.json test script, run by the package manager of its lock file; else the test runner it depends on. */
const node = (t: RuleContext): Proposal[] => {
  const out: Proposal[] = [];
  const pkg = [projectFile(t, /^package\.json$/), ...t.hash.filter((h) => /(^|\/)package\.json$/.test(h))].filter((p): p is string => !!p);
  const withScript = pkg.find((p) => hasTestScript(t.repo.read(p)));
  // The package's folder, from the context: the command runs there.
  const dirOf = (p: string) => ({ dir: p.slice(inFolder(t.context, "").length, Math.max(0, p.lastIndexOf("/"))).replace(/\/$/, "") });
  const unit = unitScript(t);
  if (unit) out.push(unit);
  const all = workspaceTests(t);
  if (all) out.push(all);
  if (withScript) {
    const folder = withScript.includes("/") ? withScript.slice(0, withScript.lastIndexOf("/") + 1) : "";
    const manager = (["pnpm", "yarn"] as const).find((m) => t.repo.files.includes(`${folder}${m === "pnpm" ? "pnpm-lock.yaml" : "yarn.lock"}`));
    if (manager)
      out.push({
        command: `${manager} test`,
        why: `package.json has a test script; ${manager === "pnpm" ? "pnpm-lock.yaml" : "yarn.lock"}`,
        needs: [manager],
        ...dirOf(withScript),
      });
    out.push({ command: "npm test", why: "package.json has a test script", needs: ["node"], ...dirOf(withScript) });
  }
  for (const p of pkg) {
    const runner = ["jest", "vitest", "mocha"].find((r) => dependencies(t.repo.read(p)).includes(r));
    if (runner)
      out.push({ command: runner === "vitest" ? "npx vitest run" : `npx ${runner}`, why: "from the project's dependencies", needs: ["node"], ...dirOf(p) });
  }
  const imageTodo = withoutDevDependencies(t);
  return imageTodo ? out.map((p) => ({ ...p, imageTodo })) : out;
};

/** The root package.json's `test:unit` script: the unit tests alone (`test` may run every suite), by its package manager. */
function unitScript(t: RuleContext): Proposal | undefined {
  const root = inFolder(t.context, "package.json");
  const scripts = (parseJson(t.repo.read(root)) as { scripts?: Record<string, unknown> }).scripts;
  if (typeof scripts?.["test:unit"] !== "string") return undefined;
  const manager = (["pnpm", "yarn"] as const).find((m) => has(t, m === "pnpm" ? "pnpm-lock.yaml" : "yarn.lock"));
  const why = "package.json has a test:unit script";
  return manager ? { command: `${manager} test:unit`, why, needs: [manager], dir: "" } : { command: "npm run test:unit", why, needs: ["node"], dir: "" };
}

/**
 * A workspace whose root has no test script and whose members do: each member's, as the package
 * manager runs a script in every member that has it (`pnpm -r test`, `npm test --workspaces
 * --if-present`), rather than one member's. Yarn's differs by version: none.
 */
function workspaceTests(t: RuleContext): Proposal | undefined {
  const root = inFolder(t.context, "package.json");
  if (!t.repo.files.includes(root) || hasTestScript(t.repo.read(root))) return undefined;
  const members = workspaceManifests(t.repo, t.context, "node")
    .flatMap((glob) => t.repo.files.filter(inputMatcher(glob)))
    .filter((p, i, all) => p !== root && all.indexOf(p) === i && hasTestScript(t.repo.read(p)));
  if (members.length < 2) return undefined;
  const has = (f: string) => t.repo.files.includes(inFolder(t.context, f));
  const why = `the workspace's members have test scripts (${members.slice(0, 3).join(", ")}${members.length > 3 ? ", ..." : ""}), its root none`;
  // The image must hold the workspace as declared (not one member pruned out of it).
  const declared = (f: string) => has(f) && copies(t, inFolder(t.context, f));
  if (declared("pnpm-workspace.yaml")) return { command: "pnpm -r test", why, needs: ["pnpm"], dir: "" };
  if (!has("yarn.lock") && !has("pnpm-lock.yaml") && declared("package.json"))
    return { command: "npm test --workspaces --if-present", why, needs: ["node"], dir: "" };
  return undefined;
}

/** Whether the image installs its node packages without the devDependencies (where test runners are). */
function withoutDevDependencies(t: RuleContext): string | undefined {
  let production = false;
  for (const ins of t.instructions) {
    if ((ins.op === "ENV" || ins.op === "ARG") && /\bNODE_ENV[=\s]+["']?production\b/.test(ins.args)) production = true;
    if (ins.op !== "RUN") continue;
    // npm ci, npm install, yarn, yarn install, pnpm install, yarn workspaces focus: the package manager and its first word that is no option.
    const installs = simpleCommands(runCommand(ins.args)).filter(
      (w) =>
        /^(npm|yarn|pnpm)$/.test(w[0]!) &&
        (/^(ci|install|i)?$/.test(w.slice(1).find((a) => !a.startsWith("-")) ?? "") || (w[1] === "workspaces" && w[2] === "focus")) &&
        !/(^|\s)(-g|--global)(\s|$)/.test(w.join(" ")),
    );
    if (installs.some((w) => w.some((a) => /^(--omit=dev|--production|--prod)$/.test(a))))
      return "the image installs its packages without the devDependencies (--omit=dev, --production): the test runner is not in it";
    if (/\b(npm|pnpm|yarn)\s+prune\b/.test(runCommand(ins.args)))
      return "the image prunes its packages to the production ones (npm prune): the test runner is not in it; prune in a later stage than the tests'";
    if (production && installs.length)
      return "the image installs its packages with NODE_ENV=production, which leaves out the devDependencies (the test runner): install them in the test stage";
  }
  return undefined;
}

export const RULES: Record<Ecosystem, (t: RuleContext) => Proposal[]> = { java, rust, go, elixir, dotnet, php, ruby, python, node };

/** `make test`, when the Makefile has a test target. */
export const makeTest = (t: RuleContext): Proposal[] => {
  const makefile = read(t, "Makefile");
  // The image must have the Makefile, and make must not start containers (meant for the host).
  if (!makeRecipe(makefile, "test") || !copies(t, inFolder(t.context, "Makefile")) || runsContainers(makefile, "test")) return [];
  // What it runs needs its tools in the image too (a frontend's `yarn test` in a Rust image).
  const vars = makeVariables(makefile);
  const needs = new Set<Tool>(["make"]);
  let unread = false;
  for (const raw of makeCommands(makefile, "test")) {
    // A reference the shell cannot read (`$@`, `$(call ...)`) hides a tool only where it is the program run.
    const line = makeToShell(raw, vars, true) ?? raw;
    for (const words of simpleCommands(line)) {
      if (words[0]!.startsWith("$")) unread = true;
      for (const tool of toolsToRun(words[0]!)) needs.add(tool);
    }
  }
  return [
    {
      command: "make test",
      why: "Makefile has a test target",
      needs: [...needs],
      dir: "",
      ...(unread ? { todo: "make test runs what init cannot read (a make function such as $(call ...)): check that everything it runs is in the image" } : {}),
    },
  ];
};

/** Whether a target, or a target it depends on, runs docker (`$(DC) run` with `DC := docker compose` too). */
function runsContainers(makefile: string, name: string, depth = 0): boolean {
  const expand = makeExpander(makefile);
  if ((makeRecipe(makefile, name) ?? []).some((l) => /\bdocker(-compose)?\b|\bpodman\b/.test(expand(l)))) return true;
  return depth < 2 && makePrerequisites(makefile, name).some((dep) => runsContainers(makefile, dep, depth + 1));
}

/** A Makefile's lines with its variables filled in (`$(DC)` with `DC := docker compose`); `$(MAKE)` is make. */
export function makeExpander(makefile: string): (line: string) => string {
  const vars = makeVariables(makefile);
  return (line) => line.replace(/\$[({]([A-Za-z_]\w*)[)}]/g, (all, v: string) => (v === "MAKE" ? "make" : (vars.get(v) ?? all)));
}

/** A Makefile's variables (`NAME = value`, `:=`, `?=`, `+=`), each with its last value as written. */
export function makeVariables(makefile: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of makefile.matchAll(/^([A-Za-z_]\w*)[ \t]*([:?+]?)=[ \t]*(.*)$/gm)) {
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    const before = vars.get(name);
    if (op === "?" && before !== undefined) continue;
    // `X += y` appends; `X := $(X) y` reads the value X had (make would loop on a recursive one).
    const value = raw.trim().replace(new RegExp(`\\$[({]${name}[)}]`, "g"), () => before ?? "");
    vars.set(name, op === "+" && before !== undefined ? `${before} ${value}` : value);
  }
  return vars;
}

/**
 * A recipe line as the shell gets it from make: variables filled in (those the Makefile does not
 * set are empty, as on a command line that sets none), `$$` as `$`, and `$(shell X)` as the
 * shell's `$(X)`. Undefined where make would do what the shell cannot (`$(wildcard ...)`,
 * `$(call ...)`, `$@`).
 */
export function makeToShell(line: string, vars: ReadonlyMap<string, string>, keep = false, depth = 0): string | undefined {
  if (depth > 8) return keep ? line : undefined;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = line[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    if (next !== "(" && next !== "{") {
      // An automatic variable (`$@`): kept as written when asked, else the line is not the shell's.
      if (!keep) return undefined;
      out += c + (next ?? "");
      i++;
      continue;
    }
    // The reference's end: its bracket, counting the brackets inside (`$(shell go list | grep -E "(a|b)")`).
    const close = next === "(" ? ")" : "}";
    let level = 0;
    let end = i + 1;
    for (; end < line.length; end++) {
      if (line[end] === next) level++;
      else if (line[end] === close && --level === 0) break;
    }
    if (end >= line.length) return keep ? out + line.slice(i) : undefined;
    const inner = line.slice(i + 2, end);
    const variable = /^[A-Za-z_]\w*$/.test(inner);
    const text = variable
      ? makeToShell(vars.get(inner) ?? "", vars, keep, depth + 1)
      : /^shell\s/.test(inner)
        ? makeToShell(inner.slice(6), vars, keep, depth + 1)
        : undefined;
    if (text === undefined) {
      if (!keep) return undefined;
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    out += variable ? text : `$(${text.trim()})`;
    i = end;
  }
  return out;
}

/** The targets a Makefile's target depends on (`test: build lint`). */
export const makePrerequisites = (makefile: string, name: string): string[] =>
  (new RegExp(`^${name.replace(/[.]/g, "\\.")}[ \\t]*:(?!=)([^;\\n]*)`, "m").exec(makefile)?.[1] ?? "").split(/\s+/).filter((d) => /^[\w.-]+$/.test(d));

/** The recipe of a Makefile's target: what follows `;` on its line, and the tab-indented lines after it; undefined without the target. */
export function makeRecipe(makefile: string, name: string): string[] | undefined {
  const target = new RegExp(`^${escapeRegExp(name)}[ \\t]*:(?!=)[^\\n]*$`, "m").exec(makefile);
  if (!target) return undefined;
  const inline = target[0].includes(";") ? [target[0].slice(target[0].indexOf(";") + 1)] : [];
  const recipe = makefile
    .slice(target.index + target[0].length)
    .split("\n")
    .slice(1);
  const end = recipe.findIndex((l) => !l.startsWith("\t") && l.trim() !== "");
  // A backslash at a line's end continues it: make hands the shell one command.
  const joined: string[] = [];
  let open = false;
  for (const line of [...inline, ...(end === -1 ? recipe : recipe.slice(0, end))].map((l) => l.trim())) {
    if (open) joined[joined.length - 1] += ` ${line.replace(/\\$/, "").trim()}`;
    else joined.push(line.replace(/\\$/, "").trim());
    open = line.endsWith("\\");
  }
  return joined.filter(Boolean);
}

/**
 * The commands `make TARGET` runs: the recipes of the target and of its prerequisites (theirs
 * first, as make runs them), with make's line prefixes (`@`, `-`, `+`) removed. "" is the default
 * goal, the first target that is not special (`.PHONY`) or a pattern (`%.o`).
 */
export function makeCommands(makefile: string, target: string): string[] {
  const goal = target || /^([A-Za-z0-9_][\w./-]*)[ \t]*:(?!=)/m.exec(makefile)?.[1];
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, depth: number) => {
    if (seen.has(name) || depth > 8) return;
    seen.add(name);
    const line = new RegExp(`^${escapeRegExp(name)}[ \\t]*:(?!=)([^;\\n]*)`, "m").exec(makefile);
    // A plain target name; not a variable, a function call or a pattern (`$(wildcard src/*.py)`, `%.o`).
    const prerequisites =
      line?.[1]
        ?.trim()
        .split(/\s+/)
        .filter((p) => /^[\w./-]+$/.test(p)) ?? [];
    for (const prerequisite of prerequisites) visit(prerequisite, depth + 1);
    out.push(...(makeRecipe(makefile, name) ?? []).map((l) => l.replace(/^[@+-]+\s*/, "")));
  };
  if (goal) visit(goal, 0);
  return out;
}

/** A build tool's default (`go test ./...`): what the project declares (a Makefile's test target) comes first. */
export const isConvention = (p: Proposal): boolean => p.todo?.endsWith(convention(p.command).slice(p.command.length)) === true;

/** The command to write when none is found, by ecosystem. */
export const GUESS: Record<Ecosystem, string> = {
  java: "mvn -B test",
  rust: "cargo test",
  go: "go test ./...",
  elixir: "mix test",
  dotnet: "dotnet test",
  php: "vendor/bin/phpunit",
  ruby: "bundle exec rake test",
  python: "pytest",
  node: "npm test",
};

/** Build steps that run the tests already (`mvn package` without -DskipTests): the first, as written. */
export function buildRunsTests(t: RuleContext): string | undefined {
  for (const run of runs(t, "built")) {
    for (const words of simpleCommands(run)) {
      const tool = words[0]!.split("/").pop()!;
      const args = words.slice(1);
      const skip = args.some((a) => /^-D(skipTests|maven\.test\.skip)(=true)?$/.test(a)) || /(-x|--exclude-task)\s+test\b/.test(args.join(" "));
      const testing =
        (/^mvnw?$/.test(tool) && args.some((a) => /^(test|package|verify|install|deploy)$/.test(a)) && !skip) ||
        (/^gradlew?$/.test(tool) && args.some((a) => /^(test|check|build)$/.test(a)) && !skip) ||
        (/^(go|cargo|dotnet|mix)$/.test(tool) && args[0] === "test") ||
        (/^(npm|yarn|pnpm)$/.test(tool) && (args[0] === "test" || (args[0] === "run" && args[1] === "test"))) ||
        tool === "pytest" ||
        tool === "phpunit";
      if (testing) return words.join(" ");
    }
  }
  return undefined;
}

/**
 * A run that checks the install (`phpunit --version`) or picks out some tests by name or file
 * (`go test -run TestX ./util/x_test.go`, `pytest -k smoke`, a positive `--filter`): a check of
 * the build, not the suite. Filters that leave some out (`--filter "Category!=Slow"`) run the rest.
 */
function checksOnly(words: readonly string[]): boolean {
  return words.some(
    (w, i) =>
      /^(--version|--help|-h|--list-tests|--collect-only)$/.test(w) ||
      // A selection by name; pytest's `-k "not slow"` leaves some out and runs the rest.
      (/^(-run|-k|-t|--testNamePattern|--grep)$/.test(words[i - 1] ?? "") && !/^["']?not\s/.test(w)) ||
      (/^--filter$/.test(words[i - 1] ?? "") && !w.includes("!")) ||
      /(_test\.go|\.(test|spec)\.[cm]?[jt]sx?|(^|\/)test_\w+\.py|Test\.php)$/.test(w),
  );
}

/** A command that runs a suite: a test runner (`runnerOf`), or a package script named test (`pnpm test:unit`); not a check of the build. */
export function runsTests(command: string): boolean {
  const words = shellWords(command).filter((w) => !/^[A-Za-z_]\w*=/.test(w));
  const script = /^(npm|yarn|pnpm|bun)$/.test(words[0] ?? "") ? (words[1] === "run" ? words[2] : words[1]) : undefined;
  return (runnerOf(command) !== undefined || /^test([:_-]\w[\w:-]*)?$/.test(script ?? "")) && !checksOnly(words);
}

/**
 * The tests the build itself runs in the test stage's chain (`RUN dotnet test --filter ...`, `RUN
 * npm run lint && npm run test:coverage`), from the folder the image ends in: the project's own
 * command, shown to work in that image. A run of a test runner (by `runnerOf`) or of a package
 * script named test (`test:unit`, `test-ci`); its leading assignments kept.
 */
export function buildTestRun(instructions: readonly Instruction[]): string | undefined {
  let workdir = "/";
  const found: { command: string; workdir: string }[] = [];
  for (const i of instructions) {
    if (i.op === "FROM") workdir = "/";
    if (i.op === "WORKDIR") workdir = posix.resolve(workdir, i.args.trim());
    if (i.op !== "RUN") continue;
    // `RUN cd web && npm test` runs in web/.
    for (const c of commandsIn(runCommand(i.args), workdir)) if (runsTests(c.command)) found.push({ command: c.command, workdir: c.dir });
  }
  return found.find((f) => f.workdir === workdir)?.command;
}

function parseJson(text: string | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(text ?? "") as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function hasTestScript(pkg: string | undefined): boolean {
  const t = (parseJson(pkg) as { scripts?: { test?: unknown } }).scripts?.test;
  return typeof t === "string" && !!t && !/no test specified/.test(t);
}

function dependencies(pkg: string | undefined): string[] {
  const p = parseJson(pkg) as { dependencies?: object; devDependencies?: object };
  return [...Object.keys(p.devDependencies ?? {}), ...Object.keys(p.dependencies ?? {})];
}

/** The folder (from the context) of the one shallowest pytest.ini, when the context's root has no pytest configuration; undefined when there are several. */
function pytestIniFolder(t: RuleContext): string | undefined {
  const top = inFolder(t.context, "");
  const found = t.repo.files
    .filter((f) => f.startsWith(top) && /(^|\/)pytest\.ini$/.test(f) && !/(^|\/)(node_modules|vendor|\.venv|site-packages)\//.test(f))
    .map((f) => f.slice(top.length, -"/pytest.ini".length));
  const depth = Math.min(...found.map((d) => d.split("/").length));
  const shallowest = found.filter((d) => d.split("/").length === depth);
  return shallowest.length === 1 ? shallowest[0] : undefined;
}

function pytestConfigured(t: RuleContext): boolean {
  return (
    ["pytest.ini", "tox.ini", "conftest.py"].some((f) => has(t, f)) ||
    /\[tool:pytest\]/.test(read(t, "setup.cfg")) ||
    /\[tool\.pytest/.test(read(t, "pyproject.toml"))
  );
}

function rubyTest(t: RuleContext): string | undefined {
  const gemfile = read(t, "Gemfile");
  const testFolder = t.repo.files.some((f) => f.startsWith(inFolder(t.context, "test/")));
  if (/^\s*gem\s+["']rspec(-rails)?["']/m.test(gemfile)) return "bundle exec rspec";
  if (/^\s*gem\s+["']rails["']/m.test(gemfile) && testFolder) return has(t, "bin/rails") ? "bin/rails test" : "bundle exec rails test";
  if (/^\s*task\b|Rake::TestTask/m.test(read(t, "Rakefile")) && testFolder) return "bundle exec rake test";
  return undefined;
}

/** pytest among the Python dependencies (pyproject, Pipfile, requirements files). */
function pytestDeclared(t: RuleContext, plugin = ""): boolean {
  // pytest, or a package named after it (pytest-cov needs pytest).
  return new RegExp(`(^\\s*|["'])pytest${plugin}\\b`, "m").test(pythonRequirements(t));
}

/** Whether the project requires a package of exactly this name (`django`, not `django-csp`). */
function pythonRequirement(t: RuleContext, name: string): boolean {
  return new RegExp(`(^\\s*|["'])${name}\\s*([=<>~!;\\[,"']|$)`, "mi").test(pythonRequirements(t));
}

/** The project's Python requirements as text: a requirement is a line that starts with it, or a quoted one ("pytest>=8"); comments dropped. */
function pythonRequirements(t: RuleContext): string {
  const requirements = t.repo.files.filter((f) => /(^|\/)requirements[^/]*\.(txt|in)$/.test(f) && (f.startsWith(inFolder(t.context, "")) || !f.includes("/")));
  return [read(t, "pyproject.toml"), read(t, "Pipfile"), ...requirements.map((f) => t.repo.read(f) ?? "")].join("\n").replace(/#.*$/gm, "");
}

/** Django: manage.py at the context's root, or in the folder the image works in (WORKDIR /app/src). */
function djangoTest(t: RuleContext): { command: string; inWorkdir: boolean } | undefined {
  const top = inFolder(t.context, "");
  const depth = inFolder(t.context, "manage.py").split("/").length + 1;
  const manage = t.repo.files
    .filter((f) => /(^|\/)manage\.py$/.test(f) && f.startsWith(top) && f.split("/").length <= depth)
    .sort((a, b) => a.length - b.length)[0];
  // Django's own manage.py, or Django a requirement: a Flask project may have a manage.py too, with other commands.
  if (!manage || !(/DJANGO_SETTINGS_MODULE|django\.core\.management/.test(t.repo.read(manage) ?? "") || pythonRequirement(t, "django"))) return undefined;
  const sub = manage.slice(top.length, -"manage.py".length).replace(/\/$/, "");
  const workdir = lastInstruction(t.instructions, "WORKDIR")?.args.replace(/\/+$/, "") ?? "";
  if (sub && workdir.endsWith(`/${sub}`)) return { command: "python manage.py test", inWorkdir: true };
  return { command: sub ? `python ${sub}/manage.py test` : "python manage.py test", inWorkdir: false };
}
