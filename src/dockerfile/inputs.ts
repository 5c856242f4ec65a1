import { isCodeSource, isManifest } from "./code.js";
import { boundSources, cleanSource, copySources, runCommand, splitFlags, type Instruction } from "./parse.js";
import { copiesRepositoryFrom, declare, expand, keptByFind, recipeOf } from "./code-root.js";
import { chainOf, dependenciesOf, dockerStages, stageNamed, targetStage, type Stage } from "./stages.js";
import { ecosystemOf, runTools, simpleCommands, type Ecosystem } from "./toolchain.js";

/**
 * Reading a Dockerfile for what decides its dependency layers. Pure: the text comes from the
 * caller (the CLI reads the file).
 */
export { copySources, dockerInstructions, type Instruction } from "./parse.js";

export interface InputOptions {
  /** The stage the build stops at (`--target`); default the last. */
  target?: string;
  /** Build args: they fill in `FROM ${BASE}`. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Whether a copied context path is code (the whole context, a source folder); default by its name. */
  isCode?: (src: string) => boolean;
}

export interface DependencyInputs {
  /** Context paths (files, folders, globs) copied or bind-mounted before the install steps. */
  sources: string[];
  /** A stage of the target's chain that copies the code before installing its dependencies (then every code change reinstalls). */
  wholeContextFirst: boolean;
  /** That stage's name (or its number). */
  wholeContextStage?: string;
  /** What it copies first: `.` for the whole context, else the code's folder (`src`). */
  codeCopied?: string;
  /**
   * The files that stage's installs name, when they name every file they read (`pip install -r
   * requirements-dev.txt`); undefined when an install reads what the copy brought unnamed.
   */
  namedManifests?: string[];
  /** The context's scripts that stage runs to install (`RUN ./scripts/setup`): inputs, and what they run says which manifests count. */
  installScripts?: string[];
  /** The ecosystems of that stage's installs after the copy (`RUN npm ci` in a Ruby image): theirs are manifests it reads too. */
  installEcosystems?: Ecosystem[];
  /** How that stage's Python installs after the copy run (`uv sync`, `poetry install`, pip): which Python manifests they read. */
  installTools?: PythonInstaller[];
  /** The make targets that stage runs after the copy (`RUN make install`; "" for the default goal): their recipes say what they install. */
  installMakeTargets?: string[];
  /**
   * Copied folders an install runs in after the code is copied (`COPY assets assets` then `RUN npm
   * ci --prefix assets`), with the install's ecosystems: the manifests at that folder's top are what it reads.
   */
  folderInstalls?: FolderInstall[];
}

export interface FolderInstall {
  folder: string;
  ecosystems: Ecosystem[];
}

/**
 * What the Dockerfile copies before its dependency-install steps, read on the stages the target
 * is built from (its chain, and the stages it copies from): each such stage is read with the
 * stages it is built on, as one sequence of instructions. In a sequence that copies the code (the
 * whole context, or a folder of source files), the install steps are the RUN lines before that
 * copy; in one that never does, the install is the first RUN after its last copy of a dependency
 * manifest (or, with none, after its first copy): what it copies later is code, and hashing it
 * would save the archive on every commit. Files a RUN bind-mounts (`--mount=type=bind,source=
 * uv.lock`) count as copied just before it. These decide whether the install layers can be reused:
 * they are hash inputs, whatever their names (`COPY requirements/ ...` holds base.txt and test.txt).
 */
export function dependencyInputs(instructions: Instruction[], options: InputOptions = {}): DependencyInputs {
  const stages = dockerStages(instructions, options.buildArgs);
  const target = targetStage(stages, options.target) ?? stages[stages.length - 1];
  return target ? stageInputs(stages, target.index, options.isCode) : { sources: [], wholeContextFirst: false };
}

/**
 * Every context path the stages building `index` copy or bind-mount (ARG defaults and ENV values
 * filled in), not what they take from other stages: what of the repository is in the build.
 */
export function contextCopies(stages: readonly Stage[], index: number): string[] {
  const none = () => ({ code: false, installs: false });
  const out = new Set<string>();
  for (const stage of dependenciesOf(stages, index))
    for (const step of steps(
      chainOf(stages, stage.index).flatMap((s) => s.body),
      () => false,
      none,
    ))
      step.sources.forEach((src) => out.add(src));
  return [...out];
}

/** Whether the stages building `index` copy or bind-mount anything of the build context. */
export function readsContext(stages: readonly Stage[], index: number): boolean {
  return dependenciesOf(stages, index).some((s) =>
    s.body.some((i) => (i.op === "COPY" || i.op === "ADD" ? (copySources(i.args)?.length ?? 0) > 0 : i.op === "RUN" && boundSources(i.args).length > 0)),
  );
}

/** `dependencyInputs` of a stage graph, for the stage at `index`. */
export function stageInputs(stages: readonly Stage[], index: number, isCode: (src: string) => boolean = (src) => isCodeSource(src)): DependencyInputs {
  const out: DependencyInputs = { sources: [], wholeContextFirst: false };
  const chain = new Set(chainOf(stages, index).map((s) => s.index));
  // Stages that install: `COPY --from` one of them brings the dependencies (node_modules, vendor/).
  // `COPY --from` a stage's whole copy of the repository brings the code, unless a find kept only
  // some names of it (every pom.xml): then those files; built files copied out are no code.
  const withInstall = new Set<number>();
  for (const stage of dependenciesOf(stages, index)) {
    const sequence = chainOf(stages, stage.index).flatMap((s) => s.body);
    const earlier = (ref: string) => stageNamed(stages.slice(0, stage.index), ref)?.index ?? -1;
    const read = readSequence(sequence, isCode, (ref, ins) => {
      const whole = copiesRepositoryFrom(stages, stage, ins, isCode);
      const kept = whole ? keptByFind(stages, ref, stage.index) : recipeOf(stages, ref, stage.index);
      return { code: whole && !kept, installs: withInstall.has(earlier(ref)), ...(kept ? { kept } : {}) };
    });
    if (read.installs) withInstall.add(stage.index);
    for (const f of read.folders) if (!out.folderInstalls?.some((o) => o.folder === f.folder)) (out.folderInstalls ??= []).push(f);
    for (const src of read.inputs) if (!out.sources.includes(src)) out.sources.push(src);
    if (read.codeBeforeInstall && chain.has(stage.index) && !out.wholeContextFirst) {
      out.wholeContextFirst = true;
      out.wholeContextStage = stageLabel(stage);
      out.codeCopied = read.codeCopied;
      if (read.named) out.namedManifests = read.named;
      if (read.scripts.length) out.installScripts = read.scripts;
      if (read.ecosystems.length) out.installEcosystems = read.ecosystems;
      if (read.tools.length) out.installTools = read.tools;
      if (read.makeTargets.length) out.installMakeTargets = read.makeTargets;
    }
  }
  return out;
}

const stageLabel = (stage: Stage): string => stage.name ?? String(stage.index);

/** One step of a sequence as the inputs are read: what it copies from the context, and whether it is a RUN. */
interface Step {
  run: boolean;
  /** Context paths copied (COPY/ADD) or bind-mounted (RUN). */
  sources: string[];
  code: boolean;
  manifest: boolean;
  installs: boolean;
  /** A RUN of a script or a make target: what it installs cannot be read. */
  opaque?: boolean;
  /** The files its installs name, when they name all they read (`pip install -r requirements.txt`). */
  named?: string[];
  /** The same, a script it runs taken for no install (another RUN installs visibly). */
  namedBesideScripts?: string[];
  /** The script of the copied context it runs (`./scripts/setup`, `bash bin/install.sh`). */
  script?: string;
  /** The make targets it runs (`make install`; "" for the default goal). */
  makeTargets?: string[];
  /** The ecosystems of the tools its installs run. */
  ecosystems?: Ecosystem[];
  /** How its Python installs run: `uv` (sync), `poetry` (install), or `pip` (pip, `uv pip`, pipenv: files of their own). */
  tools?: PythonInstaller[];
  /** The relative folders its installs run in (`cd assets && npm ci`, `npm ci --prefix assets`). */
  folders?: string[];
}

/** What a `COPY --from=<stage>` brings: the code, installed dependencies, or the repository's files of some names (every pom.xml). */
type StageFiles = (ref: string, ins: Instruction) => { code: boolean; installs: boolean; kept?: string[] };

function steps(sequence: readonly Instruction[], isCode: (src: string) => boolean, fromStage: StageFiles): Step[] {
  // ARG defaults and ENV values fill in the copied paths (`COPY $SOLUTION ./`), as BuildKit does.
  const vars = new Map<string, string>();
  return sequence.flatMap((ins): Step[] => {
    if (ins.op === "ARG" || ins.op === "ENV") declare(vars, ins);
    const run = ins.op === "RUN";
    const from = ins.op === "COPY" ? splitFlags(ins.args).flags.find(([n]) => n === "from")?.[1] : undefined;
    if (from !== undefined) {
      const brings = fromStage(from, ins);
      if (brings.kept) return [{ run: false, sources: brings.kept, code: false, manifest: true, installs: false }];
      return brings.code || brings.installs ? [{ run: false, sources: [], code: brings.code, manifest: false, installs: brings.installs }] : [];
    }
    const written = run ? boundSources(ins.args) : ins.op === "COPY" || ins.op === "ADD" ? (copySources(ins.args) ?? []) : undefined;
    if (!written) return [];
    const sources = written.map((src) => cleanSource(expand(src, vars)));
    const command = run ? runCommand(ins.args) : "";
    return [
      {
        run,
        sources,
        code: sources.some(isCode),
        manifest: sources.some(isManifest),
        installs: run && installsDependencies(command),
        opaque: run && runsScript(command),
        named: run ? namedRequirements(command) : undefined,
        namedBesideScripts: run ? namedRequirements(command, false) : undefined,
        script: run ? contextScript(command) : undefined,
        makeTargets: run ? makeTargetsOf(command) : undefined,
        ecosystems: run ? [...new Set(runTools(command).flatMap((tool) => ecosystemOf(tool) ?? []))] : undefined,
        tools: run ? pythonInstallers(command) : undefined,
        folders: run ? installFolders(command) : undefined,
      },
    ];
  });
}

/** The inputs of one sequence (a stage and those it is built on), and whether it copies the code before its install. */
function readSequence(
  sequence: readonly Instruction[],
  isCode: (src: string) => boolean,
  fromStage: StageFiles,
): {
  inputs: string[];
  codeBeforeInstall: boolean;
  codeCopied?: string;
  installs: boolean;
  named?: string[];
  scripts: string[];
  ecosystems: Ecosystem[];
  tools: PythonInstaller[];
  makeTargets: string[];
  folders: FolderInstall[];
} {
  const all = steps(sequence, isCode, fromStage);
  const codeAt = all.findIndex((s) => s.code);
  let end: number; // the install step: inputs are what comes before it, and what it bind-mounts
  if (codeAt !== -1) {
    // A RUN that bind-mounts the code is the install and the build at once; else the last install
    // before the code copy (a later RUN that only prepares, `mix dialyzer --plt`, reads no manifest),
    // else the last RUN before it.
    const before = all.slice(0, codeAt);
    const install = before.map((s) => s.run && (s.installs || s.opaque === true)).lastIndexOf(true);
    end = all[codeAt]!.run ? codeAt : install !== -1 ? install : before.map((s) => s.run).lastIndexOf(true);
  } else {
    const from = all.map((s) => s.manifest && !s.run).lastIndexOf(true);
    const start = from === -1 ? all.findIndex((s) => !s.run) : from;
    const afterCopy = start === -1 ? -1 : all.findIndex((s, n) => n >= start && s.run);
    end = Math.max(afterCopy, all.map((s) => s.run && s.manifest).lastIndexOf(true));
  }
  const inputs = end === -1 ? [] : all.slice(0, end + 1).flatMap((s) => s.sources.filter((src) => !isCode(src)));
  // Manifests copied after the last RUN but before the code (pom.xml of each module, then `COPY . .`)
  // were copied first for the install to read them: they are inputs even when the install comes later.
  if (codeAt !== -1) inputs.push(...all.slice(end + 1, codeAt).flatMap((s) => (s.run ? [] : s.sources.filter((src) => isManifest(src) && !isCode(src)))));
  // What is copied for an install, in the copies since the RUN before it, is its input, also after
  // some code (the assets', then `COPY mix.exs mix.lock ./`, `COPY config config`, `RUN mix
  // deps.get`; a path gem's folder and its install, then `COPY Gemfile Gemfile.lock`, `RUN bundle install`).
  // With no install before the code, the installs after it re-run on every change anyway: only the
  // manifests copied for them count (a Gemfile, not a configuration folder copied on the way).
  const installedFirst = all.slice(0, Math.max(codeAt, 0)).some((s) => s.installs);
  all.forEach((s, n) => {
    if (codeAt === -1 || n <= codeAt || !s.run || !s.installs) return;
    const from = Math.max(
      codeAt,
      all
        .slice(0, n)
        .map((p) => p.run)
        .lastIndexOf(true),
    );
    inputs.push(...all.slice(from + 1, n).flatMap((p) => p.sources.filter((src) => !isCode(src) && (installedFirst || isManifest(src)))));
  });
  const installs = all.map((s) => s.installs);
  // After the code, a script or a make target counts as an install when nothing before installed:
  // it is where a build that fetches its dependencies hides (`RUN ./build.sh`).
  const later = all.slice(codeAt + 1).some((s) => s.run && (s.installs || s.opaque === true));
  const codeBeforeInstall = codeAt !== -1 && !installs.slice(0, codeAt).includes(true) && later && !all[codeAt]!.run;
  // A script or make target is where an install hides only when no RUN after the code visibly installs.
  const visible = all.slice(codeAt + 1).some((s) => s.run && s.installs);
  const after = all.slice(codeAt + 1).filter((s) => s.run && (s.installs || (!visible && s.opaque === true)));
  // An install in a folder (`cd tcms && npm install`) reads that folder's manifests: `folders` says so.
  const named = after.filter((s) => !s.folders?.length).map((s) => (visible ? s.namedBesideScripts : s.named));
  const namesSome = named.some((n) => n?.length);
  return {
    inputs: [...new Set(inputs)],
    codeBeforeInstall,
    codeCopied: all[codeAt]?.sources.find(isCode),
    installs: installs.includes(true),
    ...(codeBeforeInstall && namesSome && named.every((n) => n !== undefined) ? { named: [...new Set(named.flat() as string[])] } : {}),
    scripts: codeBeforeInstall ? [...new Set(after.flatMap((s) => (s.script ? [s.script] : [])))] : [],
    ecosystems: codeBeforeInstall ? [...new Set(after.filter((s) => s.installs).flatMap((s) => s.ecosystems ?? []))] : [],
    makeTargets: codeBeforeInstall && !visible ? [...new Set(after.flatMap((s) => s.makeTargets ?? []))] : [],
    tools: codeBeforeInstall ? [...new Set(after.filter((s) => s.installs).flatMap((s) => s.tools ?? []))] : [],
    folders: codeAt === -1 ? [] : copiedFolderInstalls(all, codeAt),
  };
}

/** Installs after the code copy that run in a folder an earlier step copied whole (`COPY assets assets`, then `cd assets && npm ci`). */
function copiedFolderInstalls(all: readonly Step[], codeAt: number): FolderInstall[] {
  const out: FolderInstall[] = [];
  all.forEach((s, n) => {
    if (n <= codeAt || !s.installs) return;
    for (const folder of s.folders ?? [])
      if (all.slice(0, n).some((c) => !c.run && c.sources.some((src) => src === folder || src === "." || src === "*")) && !out.some((o) => o.folder === folder))
        out.push({ folder, ecosystems: s.ecosystems ?? [] });
  });
  return out;
}

/** The relative folders a RUN's installs run in: after `cd X`, or named by the tool (`--prefix X`, `--cwd X`, `-C X`, `--dir X`). */
function installFolders(run: string): string[] {
  const out: string[] = [];
  let dir = ".";
  for (const words of simpleCommands(run)) {
    if (words[0] === "cd" || words[0] === "pushd") {
      dir = words[1] === undefined || words[1].startsWith("/") ? "." : cleanSource(`${dir === "." ? "" : `${dir}/`}${words[1]}`);
      continue;
    }
    if (words[0] === "popd") dir = ".";
    if (!installsDependencies(words.join(" "))) continue;
    const flag = words.findIndex((w) => /^(--prefix|--cwd|--dir|-C)(=|$)/.test(w));
    const named = flag === -1 ? undefined : words[flag]!.includes("=") ? words[flag]!.split("=")[1] : words[flag + 1];
    const folder = named !== undefined && !named.startsWith("/") ? cleanSource(named) : dir;
    if (folder !== "." && !folder.includes("$") && !out.includes(folder)) out.push(folder);
  }
  return out;
}

/**
 * The files a RUN's installs read, when every install names them: pip's `-r`/`-c` files (a package
 * by its name reads none). An install of the project or a path (`pip install .`, `-e .`), any other
 * package manager's install (it reads its manifests by their names), or a script gives undefined.
 */
function namedRequirements(run: string, scriptsInstall = true): string[] | undefined {
  const files: string[] = [];
  for (const words of simpleCommands(run)) {
    const tool = words[0]!.split("/").pop()!;
    const at = /^pip[\d.]*$/.test(tool)
      ? 1
      : /^python[\d.]*$/.test(tool) && words[1] === "-m" && words[2] === "pip"
        ? 3
        : tool === "uv" && words[1] === "pip"
          ? 2
          : -1;
    if (at === -1) {
      if (installsDependencies(words.join(" ")) || (scriptsInstall && runsScript(words.join(" ")))) return undefined;
      continue;
    }
    if (words[at] !== "install") continue;
    const args = words.slice(at + 1);
    for (let i = 0; i < args.length; i++) {
      const w = args[i]!;
      const flag = /^(-r|--requirement|-c|--constraint)(?:=(.+))?$/.exec(w) ?? /^(-[rc])(.+)$/.exec(w);
      if (flag) {
        const file = flag[2] ?? args[++i];
        if (file === undefined) return undefined;
        files.push(file);
      } else if (!w.startsWith("-") && /\.(whl|tar\.gz|zip)$/.test(w))
        continue; // a built package: it reads no manifest of the context
      else if (/^(-e|--editable)$/.test(w) || (!w.startsWith("-") && !w.includes("://") && /^\.|\//.test(w))) return undefined; // the project itself, a path
    }
  }
  return files.map(cleanSource);
}

/** The relative path of the script a RUN runs first (`./scripts/setup`, `sh bin/build.sh`): one of the copied context. */
function contextScript(run: string): string | undefined {
  const words = simpleCommands(run)[0] ?? [];
  const path = /^(ba|z|da)?sh$/.test(words[0] ?? "") ? words.slice(1).find((w) => !w.startsWith("-")) : words[0];
  return path !== undefined && !path.startsWith("/") && !path.includes("$") && (path.includes("/") || /\.sh$/.test(path)) ? cleanSource(path) : undefined;
}

/** The targets of the `make` runs of a RUN (`make install` → install; `make` → "", the default goal); variables and flags left out. */
function makeTargetsOf(run: string): string[] {
  // A command substitution is one word (`-j$(nproc)`), not commands of its own.
  return simpleCommands(run.replace(/\$\([^()]*\)/g, "N")).flatMap((words) => {
    if (!/^g?make$/.test(words[0]!.split("/").pop()!)) return [];
    // Another folder's or file's Makefile (`make -C ui`, `-f build.mk`): not the one at the context's top.
    if (words.some((w) => /^(-[Cf]|--directory|--file|--makefile)/.test(w))) return [];
    const targets: string[] = [];
    for (let i = 1; i < words.length; i++) {
      const w = words[i]!;
      // A flag with its value after it (`-j`'s is optional: a number).
      if (/^-[Ilo]$/.test(w) || (w === "-j" && /^\d+$/.test(words[i + 1] ?? ""))) i++;
      else if (!w.startsWith("-") && !w.includes("=")) targets.push(w);
    }
    return targets.length ? targets : [""];
  });
}

/** Whether a RUN runs a script of the image or the context (`./build.sh`, `bash x.sh`, `/opt/bin/build`) or make. */
function runsScript(run: string): boolean {
  return simpleCommands(run).some((words) => {
    const tool = words[0]!;
    if (/^(make|gmake|just|task)$/.test(tool)) return true;
    if (/^(ba|z|da)?sh$/.test(tool)) return words.slice(1).some((w) => !w.startsWith("-") && /\.sh$|\//.test(w));
    return (/\//.test(tool) || /\.sh$/.test(tool)) && !/^\/(usr\/)?s?bin\/|^\/bin\//.test(tool);
  });
}

/** Package managers' install commands (and builds that fetch dependencies: `go build`, `cargo build`, `mvn package`). */
const INSTALLS: [RegExp, RegExp][] = [
  [/^(npm|pnpm|yarn|bun)$/, /^(ci|install|i|add)$|^$/],
  [/^(pip[\d.]*|pipenv|poetry|bundle|bundler|composer|gem)$/, /^(install|sync|update)$/],
  [/^uv$/, /^(sync|pip)$/],
  [/^go$/, /^(mod|build|install|get|test)$/],
  [/^cargo$/, /^(fetch|build|install|test|chef)$/],
  [/^(mvn|mvnw|gradle|gradlew)$/, /./],
  [/^mix$/, /^(deps\.get|deps\.compile|compile)$/],
  [/^dotnet$/, /^(restore|build|publish)$/],
];

export type PythonInstaller = "uv" | "poetry" | "pip";

/** The Python installs of a RUN: `uv sync` reads uv's files, `poetry install` poetry's; pip, `uv pip` and pipenv read files they are given. */
function pythonInstallers(run: string): PythonInstaller[] {
  return simpleCommands(run).flatMap((words): PythonInstaller[] => {
    const tool = words[0]!.split("/").pop()!;
    if (tool === "uv") return words[1] === "pip" ? ["pip"] : /^(sync|install)$/.test(words[1] ?? "") ? ["uv"] : [];
    if (tool === "poetry") return words[1] === "install" || words[1] === "sync" ? ["poetry"] : [];
    if (/^(pip[\d.]*|pipenv)$/.test(tool) || (/^python[\d.]*$/.test(tool) && words[2] === "pip")) return installsDependencies(words.join(" ")) ? ["pip"] : [];
    return [];
  });
}

/** Whether install arguments name packages only (`--upgrade pip uv==0.4`): no requirement file, path or the project itself. */
function namesPackagesOnly(args: readonly string[]): boolean {
  const named = args.filter((a) => !a.startsWith("-"));
  return (
    named.length > 0 &&
    !args.some((a) => /^(-r|--requirement|-c|--constraint|-e|--editable)/.test(a)) &&
    named.every((a) => /^[A-Za-z0-9][\w.-]*(\[[\w,.-]+\])?([<>=!~]=?[\w.*+-]+)?$/.test(a) && !/\.(txt|whl|gz|zip|gem)$/.test(a))
  );
}

/** Whether a RUN command installs the project's dependencies. */
export function installsDependencies(run: string): boolean {
  return simpleCommands(run).some((words) => {
    const tool = words[0]!.split("/").pop()!;
    const verb = words.slice(1).find((w) => !w.startsWith("-")) ?? "";
    const python = /^python[\d.]*$/.test(tool) && words[1] === "-m" ? words[2] : undefined;
    // A global install (`npm install -g pnpm`, `yarn global add x`) installs a tool, not the project's dependencies.
    if (/^(npm|pnpm|yarn|bun)$/.test(tool) && (words.includes("-g") || words.includes("--global") || verb === "global")) return false;
    // So does pip or gem given package names only (`pip install --upgrade pip uv`, `gem install bundler`): it reads no file of the context.
    const pipArgs = python === "pip" ? words.slice(3) : /^pip[\d.]*$/.test(tool) ? words.slice(1) : tool === "gem" ? words.slice(1) : undefined;
    if (pipArgs && pipArgs[0] === "install") return !namesPackagesOnly(pipArgs.slice(1));
    if (python === "pip") return words.includes("install");
    return INSTALLS.some(([t, v]) => t.test(tool) && v.test(verb));
  });
}
