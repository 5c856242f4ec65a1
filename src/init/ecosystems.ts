import type { Toolchain } from "../dockerfile/facts.js";
import type { Ecosystem } from "../dockerfile/toolchain.js";
import { inFolder } from "./repo.js";

/** Each ecosystem's manifests (by file name), in the order the ecosystems are tried when the image does not say. */
const MANIFEST_OF: [Ecosystem, RegExp][] = [
  ["java", /^(pom\.xml|(build|settings)\.gradle(\.kts)?|gradle\.(lockfile|properties))$/],
  ["rust", /^(Cargo\.(toml|lock)|rust-toolchain(\.toml)?)$/],
  ["go", /^go\.(mod|sum|work)$/],
  ["elixir", /^mix\.(exs|lock)$/],
  [
    "dotnet",
    /\.(slnx?|csproj|fsproj|vbproj)$|^(packages\.lock\.json|Directory\.(Build|Packages)\.props|Directory\.Build\.targets|NuGet\.config|global\.json)$/i,
  ],
  ["php", /^(composer\.(json|lock)|symfony\.lock)$/],
  ["ruby", /^Gemfile(\.lock)?$/],
  ["python", /^(requirements.*\.(txt|in)|constraints.*\.txt|Pipfile(\.lock)?|poetry\.lock|pyproject\.toml|setup\.(py|cfg)|uv\.lock|manage\.py)$/],
  ["node", /^(package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-(lock|workspace)\.yaml|\.npmrc|\.yarnrc(\.yml)?|bun\.lockb?)$/],
];

/** The ecosystem a manifest file belongs to (`go.mod` → go). */
export const ecosystemManifest = (path: string): Ecosystem | undefined => {
  const name = path.split("/").pop() ?? path;
  // pip's requirement files kept in a folder of their own are named for their role (`requirements/base.txt`).
  if (/(^|\/)requirements[^/]*\/[^/]+\.(txt|in)$/.test(path)) return "python";
  return MANIFEST_OF.find(([, re]) => re.test(name))?.[0];
};

/**
 * The ecosystem of the image the tests run in: the one of its toolchain (the base image's first)
 * whose manifests the project has; with a base image init does not know, the one the manifests
 * say, those the Dockerfile copies first.
 */
export function imageEcosystem(toolchain: Toolchain | undefined, files: readonly string[], context: string, copied: readonly string[]): Ecosystem | undefined {
  const top = files.filter((f) => (context === "." ? !f.includes("/") : f.startsWith(`${context}/`) && !f.slice(context.length + 1).includes("/")));
  const present = new Set([...copied, ...top].map(ecosystemManifest).filter((e): e is Ecosystem => e !== undefined));
  const own = toolchain?.ecosystems ?? [];
  if (own.length) return own.find((e) => present.has(e)) ?? own[0];
  if (toolchain && toolchain.unknownBase === undefined) return undefined;
  const fromCopied = copied.map(ecosystemManifest).find((e) => e !== undefined);
  return fromCopied ?? MANIFEST_OF.map(([e]) => e).find((e) => present.has(e));
}

/** The manifests-first order of a Dockerfile, in the ecosystem's words, for the note on a stage that copies the code first. */
export function installAdvice(ecosystem: Ecosystem | undefined, files: readonly string[], context: string): string {
  const has = (f: string) => files.includes(inFolder(context, f));
  const steps = ((): [string, string] | undefined => {
    switch (ecosystem) {
      case "node":
        if (has("pnpm-lock.yaml")) return ["package.json pnpm-lock.yaml ./", "pnpm install --frozen-lockfile"];
        if (has("yarn.lock")) return ["package.json yarn.lock ./", "yarn install --frozen-lockfile"];
        return ["package.json package-lock.json ./", "npm ci"];
      case "python":
        if (has("uv.lock")) return ["pyproject.toml uv.lock ./", "uv sync --frozen --no-install-project"];
        if (has("poetry.lock")) return ["pyproject.toml poetry.lock ./", "poetry install --no-root"];
        if (has("Pipfile")) return ["Pipfile Pipfile.lock ./", "pipenv install --deploy --system"];
        return ["requirements.txt .", "pip install -r requirements.txt"];
      case "go":
        return ["go.mod go.sum ./", "go mod download"];
      case "rust":
        return ["Cargo.toml Cargo.lock ./", "cargo fetch"];
      case "java":
        return has("pom.xml") || !has("build.gradle")
          ? ["pom.xml .", "mvn -B dependency:go-offline"]
          : ["build.gradle settings.gradle ./", "gradle dependencies"];
      case "elixir":
        return ["mix.exs mix.lock ./", "mix deps.get"];
      case "ruby":
        return ["Gemfile Gemfile.lock ./", "bundle install"];
      case "php":
        return ["composer.json composer.lock ./", "composer install --no-scripts --no-autoloader"];
      case "dotnet":
        return ["*.csproj ./", "dotnet restore"];
      default:
        return undefined;
    }
  })();
  if (!steps) return "copy the dependency manifests first, install the dependencies, then copy the rest";
  return `copy the manifests first (e.g. 'COPY ${steps[0]}', then 'RUN ${steps[1]}', then 'COPY . .')`;
}
