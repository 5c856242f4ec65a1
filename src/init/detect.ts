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

export function detect(repo: RepoView): Detection {
  const found: string[] = [];
  const guessed: string[] = [];
  const has = (p: string) => repo.files.includes(p);

  // Dockerfile and build context
  const dockerfile = has("Dockerfile")
    ? "Dockerfile"
    : repo.files.filter((f) => /(^|\/)Dockerfile$/.test(f)).sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b))[0];
  if (dockerfile) found.push(`Dockerfile: ${dockerfile}`);
  else guessed.push("no Dockerfile found: add one, then set image.dockerfile");
  const context = dockerfile && dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
  const inContext = (p: string) => (context === "." ? p : `${context}/${p}`);
  const instructions = dockerfile ? dockerInstructions(repo.read(dockerfile) ?? "") : [];

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

  // Image name
  let name: string | undefined;
  for (const s of Object.values(composeServices)) {
    if (s && s.build !== undefined && typeof s.image === "string") {
      const ref = parseReference(s.image);
      if (ref) name = repositoryOf(ref);
    }
  }
  if (name) found.push(`image name from ${composeFile}: ${name}`);
  else {
    name = `myorg/${repo.name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "app"}`;
    guessed.push(`image name: ${name} (set your registry's repository)`);
  }

  // Hash inputs: the Dockerfile, .dockerignore and the manifests copied before the install step
  const hash = dockerfile ? [dockerfile] : [];
  if (has(inContext(".dockerignore"))) hash.push(inContext(".dockerignore"));
  const manifests: string[] = [];
  const deps = dependencyInputs(instructions);
  const wholeContextFirst = deps.wholeContextFirst;
  for (const s of deps.sources) {
    const path = inContext(s);
    // Kept when it names something in the repository (a file, a folder, or a glob that matches).
    if (repo.files.some(inputMatcher(path))) manifests.push(path);
  }
  if (wholeContextFirst || !manifests.length) {
    for (const f of repo.files) if (!f.includes("/") || f.startsWith(context + "/")) if (isManifest(f) && f.split("/").length <= (context === "." ? 1 : context.split("/").length + 1)) manifests.push(f);
    if (wholeContextFirst && manifests.length) {
      guessed.push("the Dockerfile copies the whole context before installing dependencies, so the install step re-runs on every code change: copy the manifests first (e.g. 'COPY requirements.txt .', then 'RUN pip install ...', then 'COPY . .')");
    }
  }
  for (const m of manifests) if (!hash.includes(m)) hash.push(m);
  found.push(`hash inputs: ${hash.join(", ") || "(none)"}`);

  // Services from compose: images that are not built here and not the test runner
  const testNames = ["sut", "test", "tests"];
  const services: { name: string; image: string; environment: Record<string, string>; ready?: string }[] = [];
  for (const [svcName, s] of Object.entries(composeServices).sort(([a], [b]) => a.localeCompare(b))) {
    if (!s || testNames.includes(svcName) || s.build !== undefined || typeof s.image !== "string") continue;
    const id = svcName.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(id)) continue;
    services.push({ name: id, image: s.image, environment: composeEnv(s.environment), ready: healthcheck(s.healthcheck) });
  }
  if (services.length) found.push(`services: ${services.map((s) => `${s.name} (${s.image})`).join(", ")}`);

  // Test command
  let test: string | string[] | undefined;
  let testEnv: Record<string, string> = {};
  const sut = testNames.map((n) => composeServices[n]).find((s) => s && s.command !== undefined);
  if (sut) {
    test = Array.isArray(sut.command) ? (sut.command as unknown[]).map(String) : String(sut.command);
    testEnv = composeEnv(sut.environment);
    found.push(`test command from the compose test service: ${Array.isArray(test) ? test.join(" ") : test}`);
  } else if (hasTestScript(repo.read(inContext("package.json")))) {
    test = "npm test";
    found.push("test command: npm test (package.json has a test script)");
  } else if (/^test\s*:/m.test(repo.read(inContext("Makefile")) ?? "")) {
    test = "make test";
    found.push("test command: make test (Makefile has a test target)");
  } else if (["pytest.ini", "tox.ini", "conftest.py"].some((f) => has(inContext(f))) || /\[tool:pytest\]/.test(repo.read(inContext("setup.cfg")) ?? "") || /\[tool\.pytest/.test(repo.read(inContext("pyproject.toml")) ?? "")) {
    test = "pytest";
    found.push("test command: pytest (pytest configuration found)");
  } else {
    const cmd = [...instructions].reverse().find((i) => i.op === "CMD");
    if (cmd) {
      try {
        test = cmd.args.startsWith("[") ? (JSON.parse(cmd.args) as string[]) : cmd.args;
      } catch {
        test = cmd.args;
      }
      guessed.push(`test command: the image's own CMD (${Array.isArray(test) ? test.join(" ") : test}); replace it with your test command`);
    } else {
      test = "make test";
      guessed.push("test command: none found, 'make test' written as a placeholder");
    }
  }

  const lines: string[] = [
    "# gen-circle spec: `npx gen-circle generate` turns it into .circleci/config.yml.",
    "# yaml-language-server: $schema=./node_modules/gen-circle/schemas/gen-circle.schema.json",
    "version: 1",
    "image:",
    `  name: ${q(name)}`,
  ];
  if (dockerfile && dockerfile !== "Dockerfile") lines.push(`  dockerfile: ${q(dockerfile)}`);
  if (context !== ".") lines.push(`  context: ${q(context)}`);
  if (hash.length) lines.push(`  hash: [${hash.map(q).join(", ")}]`);
  if (services.length) {
    lines.push("services:");
    for (const s of services) {
      lines.push(`  ${s.name}:`, `    image: ${q(s.image)}`);
      if (s.ready) lines.push(`    ready: ${q(s.ready)}`);
      const env = Object.entries(s.environment);
      if (env.length) {
        lines.push("    environment:");
        for (const [k, v] of env) lines.push(`      ${k}: ${q(v)}`);
      }
    }
  }
  lines.push("test:", `  command: ${Array.isArray(test) ? `[${test.map(q).join(", ")}]` : q(test)}`);
  if (Object.keys(testEnv).length) {
    lines.push("  environment:");
    for (const [k, v] of Object.entries(testEnv)) lines.push(`    ${k}: ${q(v)}`);
  }
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
