import { inputMatcher } from "../hash/glob.js";
import { cleanSource } from "./parse.js";

/** Dependency manifests and lock files of common ecosystems (by file name). */
const MANIFESTS = [
  /^package\.json$/,
  /^package-lock\.json$/,
  /^npm-shrinkwrap\.json$/,
  /^yarn\.lock$/,
  /^pnpm-lock\.yaml$/,
  /^pnpm-workspace\.yaml$/,
  /^\.npmrc$/,
  /^\.yarnrc(\.yml)?$/,
  /^requirements.*\.(txt|in)$/,
  /^constraints.*\.txt$/,
  /^Pipfile(\.lock)?$/,
  /^poetry\.lock$/,
  /^pyproject\.toml$/,
  /^setup\.(py|cfg)$/,
  /^uv\.lock$/,
  /^Gemfile(\.lock)?$/,
  /^go\.(mod|sum|work)$/,
  /^Cargo\.(toml|lock)$/,
  /^rust-toolchain(\.toml)?$/,
  /^composer\.(json|lock)$/,
  /^symfony\.lock$/, // Symfony Flex's recipes, read by its Composer plugin during the install
  /\.(cs|fs|vb)proj$/,
  /\.slnx?$/,
  /^(Directory\.(Build|Packages)\.props|Directory\.Build\.targets|NuGet\.config|global\.json)$/i,
  /^packages\.lock\.json$/,
  /^pom\.xml$/,
  /^build\.gradle(\.kts)?$/,
  /^settings\.gradle(\.kts)?$/,
  /^gradle\.(lockfile|properties)$/,
  /^mix\.(exs|lock)$/,
];

/** Whether a path (or a glob) names a dependency manifest or lock file, by its file name. */
export const isManifest = (path: string): boolean => MANIFESTS.some((re) => re.test(path.split("/").pop() ?? path));

/** Source files of the common ecosystems (not scripts: a copied `install-deps.sh` is a build input). */
const CODE_FILE = /\.(java|kt|scala|groovy|clj|rs|go|exs?|erl|cs|fs|vb|[cm]?js|jsx|tsx?|vue|svelte|py|rb|php|c|cc|cpp|h|hpp|swift|dart|lua)$/i;
/** Folders that hold code by convention, for when the repository's files are not known. */
const CODE_FOLDER = /^(src|lib|app|apps|cmd|pkg|internal|tests?|spec|source|packages|web|server|client|api)$/;

/**
 * Whether a context path a Dockerfile copies (or bind-mounts) is the project's code rather than
 * what its dependencies are installed from: the whole context, a source file, a folder holding
 * source files (`src`, `lib`). Manifests, dot-folders (`.mvn`) and scripts are not code.
 * `files` are the repository files below the path (relative to the same root), when known.
 */
export function isCodeSource(src: string, files?: readonly string[]): boolean {
  const path = cleanSource(src);
  const known = codeByName(path);
  if (known !== undefined) return known;
  if (files) return files.some((f) => isSourceFile(f) && !isManifest(f));
  return CODE_FOLDER.test(path.split("/").pop()!);
}

/**
 * Mix's configuration (`config/*.exs`): read when the dependencies compile, so a Dockerfile copies
 * it before `mix deps.compile` for a change to rebuild them. It is what the install reads, not code.
 */
const MIX_CONFIG = /(^|\/)config\/[^/]*\.exs$/;

const isSourceFile = (path: string): boolean => CODE_FILE.test(path) && !MIX_CONFIG.test(path);

/** What a path's name alone tells: the whole context, a manifest, a dot-folder, a source file; else undefined. */
function codeByName(path: string): boolean | undefined {
  if (path === "." || path === "*") return true;
  const name = path.split("/").pop()!;
  if (isManifest(name) || name.startsWith(".") || MIX_CONFIG.test(path)) return false;
  return CODE_FILE.test(path) ? true : undefined;
}

/** `isCodeSource` with the repository's files known: `context` is the build context (a folder of the repository). */
export function codeSourceIn(files: readonly string[], context: string): (src: string) => boolean {
  const seen = new Map<string, boolean>();
  return (src) => {
    const path = cleanSource(src);
    let code = seen.get(path) ?? codeByName(path);
    if (code === undefined) {
      const full = context === "." ? path : `${context}/${path}`;
      // A plain folder or file by its prefix (cheap on a large repository); a glob through the hash's matcher.
      const match = /[*?[]/.test(full) ? inputMatcher(full) : (f: string) => f === full || f.startsWith(`${full}/`);
      const below = files.filter(match);
      // A path no file is found at (made by an earlier step, or a glob that matches nothing) is read by its name.
      code = isCodeSource(src, below.length ? below : undefined);
    }
    seen.set(path, code);
    return code;
  };
}
