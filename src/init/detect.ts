import { parse } from "yaml";
import { dependencyInputs, dockerInstructions } from "../dockerfile/inputs.js";
import { inputMatcher } from "../hash/glob.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";

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
  /^package\.json$/, /^package-lock\.json$/, /^npm-shrinkwrap\.json$/, /^yarn\.lock$/, /^pnpm-lock\.yaml$/, /^\.npmrc$/,
  /^requirements.*\.(txt|in)$/, /^constraints.*\.txt$/, /^Pipfile(\.lock)?$/, /^poetry\.lock$/, /^pyproject\.toml$/, /^setup\.(py|cfg)$/, /^uv\.lock$/,
  /^Gemfile(\.lock)?$/, /^go\.(mod|sum)$/, /^Cargo\.(toml|lock)$/, /^composer\.(json|lock)$/,
  /^pom\.xml$/, /^build\.gradle(\.kts)?$/, /^settings\.gradle(\.kts)?$/, /^gradle\.lockfile$/, /^mix\.(exs|lock)$/,
];
const isManifest = (p: string) => MANIFESTS.some((re) => re.test(p.split("/").pop() ?? p));

interface ImageGuess {
  name: string;
  dockerfile?: string;
  context: string;
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
    : repo.files.filter((f) => /(^|\/)Dockerfile$/.test(f) && !NOT_IMAGES.test(f)).sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  if (!dockerfiles.length) guessed.push("no Dockerfile found: add one, then set image.dockerfile");
  else found.push(`${dockerfiles.length > 1 ? "Dockerfiles (one image each)" : "Dockerfile"}: ${dockerfiles.join(", ")}`);

  // Compose file: services and a test service
  const composeFile = ["docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"].find(has);
  let compose: { services?: Record<string, Record<string, unknown>> } = {};
  if (composeFile) {
    try {
      compose = (parse(repo.read(composeFile) ?? "") as typeof compose) ?? {};
      found.push(`compose file: ${composeFile}`);
    } catch {
      guessed.push(`${composeFile} is not valid YAML: services not taken from it`);
    }
  }
  const composeServices = compose.services ?? {};
  const testNames = ["sut", "test", "tests"];
  const repoSlug = repo.name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "app";

  const images = (dockerfiles.length ? dockerfiles : [undefined]).map((dockerfile): ImageGuess => {
    const context = dockerfile && dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
    const inContext = (p: string) => (context === "." ? p : `${context}/${p}`);
    const instructions = dockerfile ? dockerInstructions(repo.read(dockerfile) ?? "") : [];
    const label = dockerfiles.length > 1 ? `${context}: ` : "";

    // Image name: the compose service that builds this context names it.
    let name: string | undefined;
    for (const svc of Object.values(composeServices)) {
      if (!svc || svc.build === undefined || typeof svc.image !== "string") continue;
      const build = typeof svc.build === "string" ? svc.build : (svc.build as { context?: unknown }).context;
      const buildContext = typeof build === "string" ? build.replace(/^\.\/?/, "").replace(/\/+$/, "") || "." : ".";
      if (dockerfiles.length > 1 && buildContext !== context) continue;
      const ref = parseReference(svc.image);
      if (ref) name = repositoryOf(ref);
    }
    if (name) found.push(`${label}image name from ${composeFile}: ${name}`);
    else {
      const folder = context === "." ? "" : `-${context.split("/").pop()!.toLowerCase().replace(/[^a-z0-9._-]+/g, "-")}`;
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
      for (const f of repo.files) if (!f.includes("/") || f.startsWith(context + "/")) if (isManifest(f) && f.split("/").length <= (context === "." ? 1 : context.split("/").length + 1)) manifests.push(f);
      if (deps.wholeContextFirst && manifests.length) {
        guessed.push(`${label}the Dockerfile copies the whole context before installing dependencies, so the install step re-runs on every code change: copy the manifests first (e.g. 'COPY requirements.txt .', then 'RUN pip install ...', then 'COPY . .')`);
      }
    }
    for (const m of manifests) if (!hash.includes(m)) hash.push(m);
    found.push(`${label}hash inputs: ${hash.join(", ") || "(none)"}`);

    // Test command
    let test: string | string[];
    let testEnv: Record<string, string> = {};
    const sut = dockerfiles.length > 1 ? undefined : testNames.map((n) => composeServices[n]).find((svc) => svc && svc.command !== undefined);
    if (sut) {
      test = Array.isArray(sut.command) ? (sut.command as unknown[]).map(String) : String(sut.command);
      testEnv = composeEnv(sut.environment);
      found.push(`test command from the compose test service: ${Array.isArray(test) ? test.join(" ") : test}`);
    } else if (hasTestScript(repo.read(inContext("package.json")))) {
      test = "npm test";
      found.push(`${label}test command: npm test (package.json has a test script)`);
    } else if (/^test\s*:/m.test(repo.read(inContext("Makefile")) ?? "")) {
      test = "make test";
      found.push(`${label}test command: make test (Makefile has a test target)`);
    } else if (["pytest.ini", "tox.ini", "conftest.py"].some((f) => has(inContext(f))) || /\[tool:pytest\]/.test(repo.read(inContext("setup.cfg")) ?? "") || /\[tool\.pytest/.test(repo.read(inContext("pyproject.toml")) ?? "")) {
      test = "pytest";
      found.push(`${label}test command: pytest (pytest configuration found)`);
    } else if (has(inContext("go.mod"))) {
      test = "go test ./...";
      found.push(`${label}test command: go test ./... (go.mod found)`);
    } else {
      const cmd = [...instructions].reverse().find((i) => i.op === "CMD");
      if (cmd) {
        try {
          test = cmd.args.startsWith("[") ? (JSON.parse(cmd.args) as string[]) : cmd.args;
        } catch {
          test = cmd.args;
        }
        guessed.push(`${label}test command: the image's own CMD (${Array.isArray(test) ? test.join(" ") : test}); replace it with your test command`);
      } else {
        test = "make test";
        guessed.push(`${label}test command: none found, 'make test' written as a placeholder`);
      }
    }
    return { name, dockerfile, context, hash, test, testEnv };
  });

  // Services from compose: images that are not built here and not the test runner
  const services: { name: string; image: string; environment: Record<string, string>; ready?: string }[] = [];
  for (const [svcName, svc] of Object.entries(composeServices).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc || testNames.includes(svcName) || svc.build !== undefined || typeof svc.image !== "string") continue;
    const id = svcName.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(id)) continue;
    services.push({ name: id, image: svc.image, environment: composeEnv(svc.environment), ready: healthcheck(svc.healthcheck) });
  }
  if (services.length) found.push(`services: ${services.map((x) => `${x.name} (${x.image})`).join(", ")}`);

  const lines: string[] = [
    "# gen-circle spec: `npx gen-circle generate` turns it into .circleci/config.yml.",
    "# yaml-language-server: $schema=./node_modules/gen-circle/schemas/gen-circle.schema.json",
    "version: 1",
  ];
  const imageLines = (img: ImageGuess, indent: string): string[] => {
    const out: string[] = [];
    if (img.dockerfile && img.dockerfile !== (img.context === "." ? "Dockerfile" : `${img.context}/Dockerfile`)) out.push(`${indent}dockerfile: ${q(img.dockerfile)}`);
    if (img.context !== ".") out.push(`${indent}context: ${q(img.context)}`);
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

/** A compose healthcheck's test as a readiness probe (run with sh -c in the service). */
function healthcheck(h: unknown): string | undefined {
  const t = (h as { test?: unknown } | undefined)?.test;
  if (typeof t === "string") return t;
  if (!Array.isArray(t) || !t.length) return undefined;
  const [kind, ...rest] = t.map(String);
  if (kind === "CMD-SHELL") return rest.join(" ");
  if (kind === "CMD") return rest.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
  return undefined;
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

function composeEnv(env: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const e of env) {
      const [k, ...v] = String(e).split("=");
      if (k && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) out[k] = v.join("=");
    }
  } else if (env && typeof env === "object") {
    for (const [k, v] of Object.entries(env)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) out[k] = v === null ? "" : String(v);
  }
  return out;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
function q(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) && !/^[-:@]/.test(s) && !["true", "false", "null", "yes", "no", "on", "off"].includes(s.toLowerCase()) ? s : JSON.stringify(s);
}
