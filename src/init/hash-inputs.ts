import { dependencyInputs, type Instruction } from "../dockerfile/inputs.js";
import { inputMatcher } from "../hash/glob.js";
import { inFolder, type Notes, type RepoView } from "./repo.js";

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

/** One image's build, as the hash inputs are read from it. */
export interface ImageBuild {
  dockerfile?: string;
  context: string;
  instructions: Instruction[];
  /** `<context>: ` before each note in a monorepo. */
  label: string;
}

/** Hash inputs: the Dockerfile, .dockerignore and what it copies before its install steps. */
export function hashInputs(repo: RepoView, build: ImageBuild, notes: Notes): string[] {
  const { dockerfile, context, label } = build;
  const hash = dockerfile ? [dockerfile] : [];
  const dockerignore = inFolder(context, ".dockerignore");
  if (repo.files.includes(dockerignore)) hash.push(dockerignore);
  const deps = dependencyInputs(build.instructions);
  // Kept when it names something in the repository (a file, a folder, or a glob that matches).
  const manifests = deps.sources.map((src) => inFolder(context, src)).filter((path) => repo.files.some(inputMatcher(path)));
  if (deps.wholeContextFirst || !manifests.length) manifests.push(...contextManifests(repo.files, context));
  if (deps.wholeContextFirst) {
    notes.guessed.push(
      `${label}the Dockerfile copies the whole context before installing dependencies, so the install step re-runs on every code change: copy the manifests first (e.g. 'COPY requirements.txt .', then 'RUN pip install ...', then 'COPY . .')`,
    );
  }
  for (const m of manifests) if (!hash.includes(m)) hash.push(m);
  notes.found.push(`${label}hash inputs: ${hash.join(", ") || "(none)"}`);
  return hash;
}

/**
 * The manifests at the top of the context (and the repository root), when the Dockerfile names
 * none before its install step, or copies everything first.
 */
function contextManifests(files: readonly string[], context: string): string[] {
  const depth = context === "." ? 1 : context.split("/").length + 1;
  return files.filter((f) => (!f.includes("/") || f.startsWith(`${context}/`)) && isManifest(f) && f.split("/").length <= depth);
}
