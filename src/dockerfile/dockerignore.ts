import picomatch from "picomatch";

/**
 * A `.dockerignore` as Docker reads it: one pattern a line (`#` comments), paths from the context's
 * root (a leading `/` or `./` dropped), `**` for any number of folders, `!` to take back an
 * exclusion; a pattern that matches a folder excludes what is below it; the last pattern that
 * matches a path decides. Pure: the text comes from the caller.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const pattern = (negated ? l.slice(1).trim() : l)
        .replace(/^(\.?\/)+/, "")
        .replace(/\/+$/, "")
        .replace(/\/\.(?=\/|$)/g, "");
      return { negated, match: picomatch(pattern || ".", { dot: true, noextglob: true, nobrace: true }) };
    });
  return (path) => {
    const parts = path.split("/");
    // The path itself or a folder above it.
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.match(c))) excluded = !rule.negated;
    return excluded;
  };
}

/**
 * Files the common test runners discover as tests: source files in folders named for tests (`test`,
 * `tests`, `spec`, `__tests__`; not the YAML of `config/routes/test/`) and files named for them (`*_test.go`, `test_*.py`, `*.test.ts`,
 * `*.spec.js`, `*Test.java`, `*_spec.rb`, `*Test.php`, `*Tests.cs`).
 */
export const isTestFile = (path: string): boolean =>
  (/(^|\/)(tests?|spec|specs|__tests__)\//.test(path) && /\.(php|py|[cm]?[jt]sx?|go|rb|java|kt|cs|fs|exs?|rs|scala)$/.test(path)) ||
  /(_test\.(go|py|exs?)|(^|\/)test_[^/]*\.py|\.(test|spec)\.[cm]?[jt]sx?|Tests?\.(java|kt|php|cs|scala)|_spec\.rb)$/.test(path);
