import { parse } from "yaml";
import { copySources, dependencyInputs, dockerInstructions, type Instruction } from "../dockerfile/inputs.js";
import { inputMatcher } from "../hash/glob.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";
import { buildOf, composeReader, type ComposeService, dependsOn } from "./compose.js";

/**
 * `gen-circle init`: what a repository tells about its pipeline. Pure: it sees the repository
 * only through `files` (paths) and `read` (contents), given by the CLI.
 */
export interface RepoView {
  /** Repository folder name, for a default image name. */
  name: string;
  files: readonly string[];
  read(path: string): string | undefined;
}

export interface Detection {
  spec: string;
  found: string[];
  guessed: string[];
}

/** Dependency manifests and lock files of common ecosystems. */
const MANIFESTS = [
  /^package\.json$/,
  /^package-lock\.json$/,
  /^npm-shrinkwrap\.json$/,
  /^yarn\.lock$/,
  /^pnpm-lock\.yaml$/,
  /^\.npmrc$/,
  /^requirements.*\.(txt|in)$/,
  /^constraints.*\.txt$/,
  /^Pipfile(\.lock)?$/,
  /^poetry\.lock$/,
  /^pyproject\.toml$/,
  /^setup\.(py|cfg)$/,
  /^uv\.lock$/,
  /^Gemfile(\.lock)?$/,
  /^go\.(mod|sum)$/,
  /^Cargo\.(toml|lock)$/,
  /^composer\.(json|lock)$/,
  /\.(cs|fs|vb)proj$/,
  /^packages\.lock\.json$/,
  /^pom\.xml$/,
  /^build\.gradle(\.kts)?$/,
  /^settings\.gradle(\.kts)?$/,
  /^gradle\.lockfile$/,
  /^mix\.(exs|lock)$/,
];
const isManifest = (p: string) => MANIFESTS.some((re) => re.test(p.split("/").pop() ?? p));

interface ImageGuess {
  name: string;
  dockerfile?: string;
  context: string;
  target?: string;
  buildArgs: Record<string, string>;
  hash: string[];
  test: string | string[];
  testEnv: Record<string, string>;
}

/** Folders whose Dockerfiles are not the project's images (dependencies, samples, fixtures). */
const NOT_IMAGES = /(^|\/)(node_modules|vendor|third_party|\.git|\.devcontainer|examples?|samples?|docs?|test\/fixtures|testdata)\//;

export function detect(repo: RepoView): Detection {
  const found: string[] = [];
  const guessed: string[] = [];
  const has = (p: string) => repo.files.includes(p);

  // Dockerfiles: the root one is the image; without one, each folder's Dockerfile is an image of
  // its own (a monorepo: images:).
  const dockerfiles = has("Dockerfile")
    ? ["Dockerfile"]
    : repo.files
        .filter((f) => /(^|\/)Dockerfile$/.test(f) && !NOT_IMAGES.test(f))
        .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  if (!dockerfiles.length) guessed.push("no Dockerfile found: add one, then set image.dockerfile");
  else found.push(`${dockerfiles.length > 1 ? "Dockerfiles (one image each)" : "Dockerfile"}: ${dockerfiles.join(", ")}`);

  // Compose file: services and a test service
  const composeFile = ["docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"].find(has);
  let compose: { services?: Record<string, ComposeService>; secrets?: unknown } = {};
  if (composeFile) {
    try {
      compose = (parse(repo.read(composeFile) ?? "", { merge: true }) as typeof compose) ?? {};
      found.push(`compose file: ${composeFile}`);
    } catch {
      guessed.push(`${composeFile} is not valid YAML: services not taken from it`);
    }
  }
  const composeServices = compose.services && typeof compose.services === "object" ? compose.services : {};
  const reader = composeReader(repo.read, compose.secrets);
  const built = (svc: ComposeService | undefined) => !!svc && svc.build !== undefined;
  const testNames = ["sut", "test", "tests"];
  const repoSlug =
    repo.name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "app";

  const images = (dockerfiles.length ? dockerfiles : [undefined]).map((dockerfile): ImageGuess => {
    const instructions = dockerfile ? dockerInstructions(repo.read(dockerfile) ?? "") : [];
    // The compose service that builds this Dockerfile gives its context, target and name.
    // Several services may build it (an app and its asset watcher, shared with `<<: *app`): the
    // one that builds the whole Dockerfile (no target, or its last stage) is the image.
    const lastStage = /\bAS\s+(\S+)\s*$/i.exec([...instructions].reverse().find((i) => i.op === "FROM")?.args ?? "")?.[1];
    const builders = Object.values(composeServices).filter((svc) => {
      const b = svc && buildOf(svc);
      if (!b || !dockerfile) return false;
      const df = b.dockerfile ?? "Dockerfile";
      return (b.context === "." ? df : `${b.context}/${df}`) === dockerfile;
    });
    const builder = builders.find((svc) => [undefined, lastStage].includes(buildOf(svc)!.target)) ?? builders[0];
    const build = builder && buildOf(builder);
    const context = build?.context ?? contextOf(dockerfile, instructions, repo.files);
    const inContext = (p: string) => (context === "." ? p : `${context}/${p}`);
    const label = dockerfiles.length > 1 ? `${context}: ` : "";
    if (build?.target && build.target !== lastStage) found.push(`${label}build target from ${composeFile}: ${build.target}`);

    // Image name: the compose service that builds this Dockerfile names it.
    let name: string | undefined;
    const ref = typeof builder?.image === "string" ? parseReference(reader.interpolate(builder.image)) : undefined;
    if (ref) name = repositoryOf(ref);
    if (name) found.push(`${label}image name from ${composeFile}: ${name}`);
    else {
      const folder =
        context === "."
          ? ""
          : `-${context
              .split("/")
              .pop()!
              .toLowerCase()
              .replace(/[^a-z0-9._-]+/g, "-")}`;
      name = `myorg/${repoSlug}${folder}`;
      guessed.push(`${label}image name: ${name} (set your registry's repository)`);
    }

    // Hash inputs: the Dockerfile, .dockerignore and what it copies before its install steps
    const hash = dockerfile ? [dockerfile] : [];
    if (has(inContext(".dockerignore"))) hash.push(inContext(".dockerignore"));
    const manifests: string[] = [];
    const deps = dependencyInputs(instructions);
    for (const src of deps.sources) {
      const path = inContext(src);
      // Kept when it names something in the repository (a file, a folder, or a glob that matches).
      if (repo.files.some(inputMatcher(path))) manifests.push(path);
    }
    if (deps.wholeContextFirst || !manifests.length) {
      for (const f of repo.files)
        if (!f.includes("/") || f.startsWith(context + "/"))
          if (isManifest(f) && f.split("/").length <= (context === "." ? 1 : context.split("/").length + 1)) manifests.push(f);
      if (deps.wholeContextFirst) {
        guessed.push(
          `${label}the Dockerfile copies the whole context before installing dependencies, so the install step re-runs on every code change: copy the manifests first (e.g. 'COPY requirements.txt .', then 'RUN pip install ...', then 'COPY . .')`,
        );
      }
    }
    for (const m of manifests) if (!hash.includes(m)) hash.push(m);
    found.push(`${label}hash inputs: ${hash.join(", ") || "(none)"}`);

    // Test command
    let test: string | string[];
    let testEnv: Record<string, string> = {};
    const workdir =
      [...instructions]
        .reverse()
        .find((i) => i.op === "WORKDIR")
        ?.args.replace(/\/+$/, "") ?? "";
    const ecosystem = ecosystemTest(repo, inContext, hash, workdir);
    const sut = dockerfiles.length > 1 ? undefined : testNames.map((n) => composeServices[n]).find((svc) => svc && svc.command !== undefined);
    if (sut) {
      test = Array.isArray(sut.command) ? (sut.command as unknown[]).map(String) : String(sut.command);
      testEnv = reader.environment(sut.environment);
      found.push(`test command from the compose test service: ${Array.isArray(test) ? test.join(" ") : test}`);
    } else if (hasTestScript(repo.read(inContext("package.json")))) {
      test = "npm test";
      found.push(`${label}test command: npm test (package.json has a test script)`);
    } else if (ecosystem) {
      test = ecosystem;
      found.push(`${label}test command: ${test} (from the project's dependencies)`);
    } else if (/^test\s*:/m.test(repo.read(inContext("Makefile")) ?? "")) {
      test = "make test";
      found.push(`${label}test command: make test (Makefile has a test target)`);
    } else if (
      ["pytest.ini", "tox.ini", "conftest.py"].some((f) => has(inContext(f))) ||
      /\[tool:pytest\]/.test(repo.read(inContext("setup.cfg")) ?? "") ||
      /\[tool\.pytest/.test(repo.read(inContext("pyproject.toml")) ?? "")
    ) {
      test = "pytest";
      found.push(`${label}test command: pytest (pytest configuration found)`);
    } else if (has(inContext("go.mod"))) {
      test = "go test ./...";
      found.push(`${label}test command: go test ./... (go.mod found)`);
    } else {
      // The image's CMD only when it runs tests: a CMD that starts the app would hold the job
      // until CircleCI's no-output timeout.
      const cmd = [...instructions].reverse().find((i) => i.op === "CMD");
      let cmdArgs: string | string[] | undefined;
      try {
        cmdArgs = cmd && (cmd.args.startsWith("[") ? (JSON.parse(cmd.args) as string[]) : cmd.args);
      } catch {
        cmdArgs = cmd?.args;
      }
      const cmdText = Array.isArray(cmdArgs) ? cmdArgs.join(" ") : cmdArgs;
      if (cmdArgs && /test|spec|check/i.test(cmdText ?? "")) {
        test = cmdArgs;
        guessed.push(`${label}test command: the image's own CMD (${cmdText}); check that it runs your tests`);
      } else {
        test = "make test";
        guessed.push(
          `${label}test command: none found, 'make test' written as a placeholder${cmdText ? ` (the image's CMD, ${cmdText}, starts the app, not its tests)` : ""}`,
        );
      }
    }
    const buildArgs = reader.environment(build?.args);
    return { name, dockerfile, context, target: build?.target === lastStage ? undefined : build?.target, buildArgs, hash, test, testEnv };
  });

  // Services from compose: images that are not built here and not the test runner
  const services: { name: string; image: string; environment: Record<string, string>; ready?: string }[] = [];
  for (const [svcName, svc] of Object.entries(composeServices).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc || testNames.includes(svcName) || built(svc) || typeof svc.image !== "string") continue;
    // A service that waits for one built here (a proxy in front of the app) uses the app: not a dependency of its tests.
    if (dependsOn(svc).some((d) => built(composeServices[d]))) continue;
    const id = svcName.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(id)) continue;
    services.push({
      name: id,
      image: reader.interpolate(svc.image),
      environment: reader.environment(svc.environment),
      ready: reader.readiness(svc.healthcheck),
    });
  }
  if (reader.envFile && composeFile) found.push(`compose variables from ${reader.envFile}`);
  if (reader.missing.size)
    guessed.push(
      `compose variables with no value${reader.envFile ? ` in ${reader.envFile}` : ""} and no default, left as written: ${[...reader.missing].sort().join(", ")}; set them in the spec`,
    );
  if (services.length) found.push(`services: ${services.map((x) => `${x.name} (${x.image})`).join(", ")}`);

  const lines: string[] = [
    "# gen-circle spec: `npx gen-circle generate` turns it into .circleci/config.yml.",
    "# yaml-language-server: $schema=./node_modules/gen-circle/schemas/gen-circle.schema.json",
    "version: 1",
  ];
  const imageLines = (img: ImageGuess, indent: string): string[] => {
    const out: string[] = [];
    if (img.dockerfile && img.dockerfile !== (img.context === "." ? "Dockerfile" : `${img.context}/Dockerfile`))
      out.push(`${indent}dockerfile: ${q(img.dockerfile)}`);
    if (img.context !== ".") out.push(`${indent}context: ${q(img.context)}`);
    if (img.target) out.push(`${indent}target: ${q(img.target)}`);
    const args = Object.entries(img.buildArgs);
    if (args.length) out.push(`${indent}build_args:`, ...args.map(([k, v]) => `${indent}  ${k}: ${q(v)}`));
    if (img.hash.length) out.push(`${indent}hash: [${img.hash.map(q).join(", ")}]`);
    return out;
  };
  const testLines = (img: ImageGuess, indent: string): string[] => {
    const out = [`${indent}test:`, `${indent}  command: ${Array.isArray(img.test) ? `[${img.test.map(q).join(", ")}]` : q(img.test)}`];
    if (Object.keys(img.testEnv).length) {
      out.push(`${indent}  environment:`);
      for (const [k, v] of Object.entries(img.testEnv)) out.push(`${indent}    ${k}: ${q(v)}`);
    }
    return out;
  };
  if (images.length === 1) {
    lines.push("image:", `  name: ${q(images[0]!.name)}`, ...imageLines(images[0]!, "  "));
  } else {
    lines.push("images:");
    for (const img of images) lines.push(`  - name: ${q(img.name)}`, ...imageLines(img, "    "), ...testLines(img, "    "));
  }
  if (services.length) {
    lines.push("services:");
    for (const svc of services) {
      lines.push(`  ${svc.name}:`, `    image: ${q(svc.image)}`);
      if (svc.ready) lines.push(`    ready: ${q(svc.ready)}`);
      const env = Object.entries(svc.environment);
      if (env.length) {
        lines.push("    environment:");
        for (const [k, v] of env) lines.push(`      ${k}: ${q(v)}`);
      }
    }
  }
  if (images.length === 1) lines.push(...testLines(images[0]!, ""));
  return { spec: lines.join("\n") + "\n", found, guessed };
}

function hasTestScript(pkg: string | undefined): boolean {
  if (!pkg) return false;
  try {
    const t = (JSON.parse(pkg) as { scripts?: { test?: string } }).scripts?.test;
    return !!t && !/no test specified/.test(t);
  } catch {
    return false;
  }
}

/**
 * The Dockerfile's build context when no compose file says: its own folder, unless what it copies
 * is found from the repository root and not from there (`docker build -f docker/Dockerfile .`).
 */
function contextOf(dockerfile: string | undefined, instructions: Instruction[], files: readonly string[]): string {
  const folder = dockerfile && dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
  if (folder === ".") return folder;
  const sources = instructions
    .flatMap((i) => (i.op === "COPY" || i.op === "ADD" ? (copySources(i.args) ?? []) : []))
    .map((p) => p.replace(/\/+$/, ""))
    .filter((p) => p && p !== "." && !/[*?[]|^[a-z]+:\/\//i.test(p));
  const exists = (path: string) => files.some((f) => f === path || f.startsWith(`${path}/`));
  const found = (base: string) => sources.filter((p) => exists(base === "." ? p : `${base}/${p}`)).length;
  return found(".") > found(folder) ? "." : folder;
}

/** A test command from the dependencies a project declares (Ruby, Python, Node test runners). */
function ecosystemTest(repo: RepoView, inContext: (p: string) => string, hash: readonly string[], workdir: string): string | undefined {
  const read = (p: string) => repo.read(inContext(p)) ?? "";
  const gemfile = read("Gemfile");
  if (/^\s*gem\s+["']rspec(-rails)?["']/m.test(gemfile)) return "bundle exec rspec";
  if (/^\s*gem\s+["']rails["']/m.test(gemfile) && repo.files.some((f) => f.startsWith(inContext("test/"))))
    return repo.files.includes(inContext("bin/rails")) ? "bin/rails test" : "bundle exec rails test";
  const python = [
    read("pyproject.toml"),
    read("Pipfile"),
    ...repo.files
      .filter((f) => /(^|\/)requirements[^/]*\.(txt|in)$/.test(f) && (f.startsWith(inContext("")) || !f.includes("/")))
      .map((f) => repo.read(f) ?? ""),
  ].join("\n");
  if (/(^|["'\s])pytest\b/m.test(python)) return "pytest";
  // Django: manage.py at the context's root, or in the folder the image works in (WORKDIR /app/src).
  const manage = repo.files
    .filter((f) => /(^|\/)manage\.py$/.test(f) && f.startsWith(inContext("")) && f.split("/").length <= inContext("manage.py").split("/").length + 1)
    .sort((a, b) => a.length - b.length)[0];
  if (manage) {
    const sub = manage.slice(inContext("").length, -"manage.py".length).replace(/\/$/, "");
    return !sub || workdir.endsWith(`/${sub}`) ? "python manage.py test" : `python ${sub}/manage.py test`;
  }
  // package.json files the Dockerfile copies (a backend/ folder's, say), with a test runner.
  for (const pkg of hash.filter((h) => /(^|\/)package\.json$/.test(h))) {
    const dev = devDependencies(repo.read(pkg));
    const runner = ["jest", "vitest", "mocha"].find((r) => dev.includes(r));
    if (runner) return runner === "vitest" ? "npx vitest run" : `npx ${runner}`;
  }
  return undefined;
}

function devDependencies(pkg: string | undefined): string[] {
  try {
    const p = JSON.parse(pkg ?? "") as { dependencies?: object; devDependencies?: object };
    return [...Object.keys(p.devDependencies ?? {}), ...Object.keys(p.dependencies ?? {})];
  } catch {
    return [];
  }
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
function q(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) && !/^[-:@]/.test(s) && !["true", "false", "null", "yes", "no", "on", "off"].includes(s.toLowerCase())
    ? s
    : JSON.stringify(s);
}
