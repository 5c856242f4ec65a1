import type { KnownService } from "../spec/known-services.js";
import type { RepoView } from "./repo.js";

/**
 * Tests that start their own data stores with Testcontainers (`jdbc:tc:postgresql:16:///test`,
 * `new ElasticsearchContainer(...)`, `@testcontainers/postgresql`, `testcontainers-go/modules/redis`):
 * a compose store of a kind they start is not the one they use. Pure: files come through the RepoView.
 */

/** Test sources of the ecosystems Testcontainers serves: JVM, Go, Node, Python, .NET. */
const TEST_SOURCE =
  /(^|\/)(src\/test\/.*\.(java|kt|groovy|scala|properties|ya?ml)|[^/]*_test\.go|[^/]*\.(test|spec)\.[cm]?[jt]sx?|(tests?|__tests__|spec)\/.*\.([cm]?[jt]sx?|py|cs)|test_[^/]*\.py|[^/]*_test\.py|conftest\.py|[^/]*Tests?\.(cs|fs))$/;
const SKIPPED = /(^|\/)(node_modules|vendor|third_party|\.git)\//;
/** A Testcontainers use in code: its package imported in one of its languages, or its JDBC URL (not a comment's mention). */
const USES =
  /org\.testcontainers\.|jdbc:tc:|testcontainers-go|@testcontainers\/|["']testcontainers["']|\bfrom\s+testcontainers\b|\bimport\s+testcontainers\b|\busing\s+(DotNet\.)?Testcontainers\b/;
/** The lines that say which container: a container's class or module, an import of one, a JDBC URL of one. */
const CONTAINER_LINE = /container|jdbc:tc:/i;

export interface OwnContainers {
  /** The test files that start containers (the first few, for the notes). */
  files: string[];
  /** Whether they start a store of this kind. */
  starts(known: KnownService): boolean;
}

/** The words a store is named by in a Testcontainers use: its kind and its images' names (`postgres`, `elasticsearch`). */
function words(known: KnownService): string[] {
  const names = [known.kind, ...known.repositories.map((r) => r.split("/").pop()!)].map((w) => w.toLowerCase().replace(/[^a-z0-9]/g, ""));
  // An image's name that says nothing of its kind (`mssql/server`) is no word for it.
  return [...new Set(names)].filter((w) => w.length >= 4 && w !== "server");
}

/** Where the tests start containers with Testcontainers, and of which kinds; undefined when they do not. */
export function ownContainers(repo: RepoView): OwnContainers | undefined {
  const files: string[] = [];
  let text = "";
  for (const file of repo.files.filter((f) => TEST_SOURCE.test(f) && !SKIPPED.test(f)).slice(0, 5000)) {
    const body = repo.read(file) ?? "";
    if (!USES.test(body)) continue;
    files.push(file);
    const lines = body.split("\n").filter((l) => CONTAINER_LINE.test(l));
    text +=
      lines
        .join(" ")
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "") + "\n";
  }
  if (!files.length) return undefined;
  return { files: files.slice(0, 3), starts: (known) => words(known).some((w) => text.includes(w)) };
}
