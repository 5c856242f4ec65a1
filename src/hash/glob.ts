import picomatch from "picomatch";

/**
 * Whether a repository file is a hash input of `pattern`, with the hash script's rules (bash
 * globstar + dotglob): a glob match, a folder standing for every file below it, "." for the
 * whole repository, nothing under .git. Used by the hash itself and by the "matches nothing" check.
 */
export function inputMatcher(pattern: string): (file: string) => boolean {
  const isMatch = picomatch(pattern, { dot: true, noextglob: true, nobrace: true });
  const prefix = pattern === "." ? "" : pattern.replace(/\/+$/, "") + "/";
  return (file) => {
    if (`/${file}/`.includes("/.git/")) return false;
    if (pattern === "." || isMatch(file) || file.startsWith(prefix)) return true;
    const parts = file.split("/");
    for (let i = 1; i < parts.length; i++) if (isMatch(parts.slice(0, i).join("/"))) return true;
    return false;
  };
}

/** The folder a glob can match under: the part before its first glob character. */
export function staticBase(pattern: string): string {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?[\]]/.test(p)) break;
    fixed.push(p);
  }
  if (fixed.length === parts.length) return pattern; // no glob: the file or folder itself
  return fixed.length ? fixed.join("/") : ".";
}
