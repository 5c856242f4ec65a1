import { parse } from "yaml";
import type { Ecosystem } from "../dockerfile/toolchain.js";
import { inputMatcher } from "../hash/glob.js";
import { inFolder, type RepoView } from "./repo.js";

/**
 * The manifests of a workspace's members, as its package manager reads them before installing:
 * when a Dockerfile copies the whole context before the install, each member's manifest decides
 * the dependency layer as much as the root's. Read from the workspace's own declaration (pnpm's
 * `packages`, npm and yarn `workspaces`, cargo `[workspace] members`, Gradle `include`, Maven
 * `<modules>`, a .NET solution's projects, what a Gemfile reads), never from folder names. Globs stay globs (a new
 * member is picked up); only members that exist are given.
 */
export function workspaceManifests(repo: RepoView, context: string, ecosystem: Ecosystem | undefined): string[] {
  const at = (p: string) => inFolder(context, p);
  const read = (p: string) => repo.read(at(p));
  const out: string[] = [];
  const add = (member: string, manifest: string) => {
    const clean = member.replace(/^\.\//, "").replace(/\/+$/, "") || ".";
    if (clean.startsWith("!") || clean.startsWith("..")) return;
    const path = at(clean === "." ? manifest : `${clean}/${manifest}`);
    if (repo.files.some(inputMatcher(path))) out.push(path);
  };
  if (ecosystem === undefined || ecosystem === "node") for (const m of nodeMembers(read)) add(m, "package.json");
  if (ecosystem === undefined || ecosystem === "rust") for (const m of cargoMembers(read("Cargo.toml"))) add(m, "Cargo.toml");
  if (ecosystem === undefined || ecosystem === "java") {
    for (const m of gradleIncludes(read("settings.gradle.kts") ?? read("settings.gradle"))) for (const f of ["build.gradle.kts", "build.gradle"]) add(m, f);
    for (const m of mavenModules(repo, context, "")) add(m, "pom.xml");
    // What Gradle reads before resolving: its version (the wrapper) and the version catalog.
    const gradle = ["settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle"].some((f) => repo.files.includes(at(f)));
    if (gradle) for (const f of ["gradle/libs.versions.toml", "gradle/wrapper/gradle-wrapper.properties"]) if (repo.files.includes(at(f))) out.push(at(f));
  }
  if (ecosystem === undefined || ecosystem === "dotnet")
    for (const sln of repo.files.filter((f) => f.startsWith(at("")) && !f.slice(at("").length).includes("/") && /\.slnx?$/.test(f)))
      for (const p of solutionProjects(repo.read(sln))) if (repo.files.includes(at(p))) out.push(at(p));
  if (ecosystem === undefined || ecosystem === "ruby") {
    for (const f of bundlerReads(read("Gemfile"))) {
      if (f.endsWith("/")) add(f, "*.gemspec");
      else if (repo.files.includes(at(f))) out.push(at(f));
    }
  }
  return [...new Set(out)];
}

/**
 * What Bundler reads with the Gemfile: the gemspecs of `gemspec` and of gems from a `path:` (as
 * `folder/`), the files `eval_gemfile` evaluates, and a Ruby version file (`ruby file: ".ruby-version"`,
 * `ruby File.read(".ruby-version")`).
 */
function bundlerReads(gemfile: string | undefined): string[] {
  if (!gemfile) return [];
  const out: string[] = [];
  for (const line of gemfile.split("\n").map((l) => l.replace(/#.*$/, "").trim())) {
    const quoted = (re: RegExp) => re.exec(line)?.[1] ?? re.exec(line)?.[2];
    if (/^gemspec\b/.test(line)) out.push(`${quoted(/path:\s*(?:"([^"]+)"|'([^']+)')/) ?? "."}/`);
    else if (/^gem\s/.test(line)) {
      const path = quoted(/path:\s*(?:"([^"]+)"|'([^']+)')/);
      if (path) out.push(`${path}/`);
    } else if (/^eval_gemfile\s/.test(line)) {
      const file = quoted(/eval_gemfile\s*\(?\s*(?:"([^"]+)"|'([^']+)')/);
      if (file) out.push(file);
    } else if (/^ruby\b/.test(line)) {
      const file = quoted(/(?:file:\s*|File\.read\(\s*)(?:"([^"]+)"|'([^']+)')/);
      if (file) out.push(file.replace(/^\.\//, ""));
    }
  }
  return out;
}

function nodeMembers(read: (p: string) => string | undefined): string[] {
  const members: string[] = [];
  const pnpm = read("pnpm-workspace.yaml");
  if (pnpm !== undefined) {
    try {
      const doc = parse(pnpm) as { packages?: unknown } | null;
      if (Array.isArray(doc?.packages)) members.push(...doc.packages.filter((p): p is string => typeof p === "string"));
    } catch {
      // not YAML: no members from it
    }
  }
  const pkg = read("package.json");
  if (pkg !== undefined) {
    try {
      const w = (JSON.parse(pkg) as { workspaces?: unknown }).workspaces;
      const list = Array.isArray(w) ? w : (w as { packages?: unknown } | undefined)?.packages;
      if (Array.isArray(list)) members.push(...list.filter((p): p is string => typeof p === "string"));
    } catch {
      // not JSON: no members from it
    }
  }
  return members;
}

/** `[workspace]` `members = [...]` of a Cargo.toml (one or several lines), and the crates its dependencies take from a `path` (cargo reads their manifests too). */
function cargoMembers(toml: string | undefined): string[] {
  const ws = toml?.split(/^\[workspace\]\s*$/m)[1]?.split(/^\[/m)[0];
  const list = ws && /^\s*members\s*=\s*\[([^\]]*)\]/m.exec(ws)?.[1];
  const members = list ? [...list.matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => m[1] ?? m[2]!) : [];
  // A dependency's inline table (`x = { path = "crates/x" }`), in a dependencies section.
  const sections = (toml ?? "")
    .replace(/#.*$/gm, "")
    .split(/^(?=\[)/m)
    .filter((sec) => /^\[([\w.-]*\.)?(dev-|build-)?dependencies\]/.test(sec));
  const paths = sections.flatMap((sec) => [...sec.matchAll(/[{,]\s*path\s*=\s*(?:"([^"]+)"|'([^']+)')/g)].map((m) => m[1] ?? m[2]!));
  return [...members, ...paths];
}

/** Gradle `include(":app", ":lib:core")` / `include 'app'`: project paths as folders. */
function gradleIncludes(settings: string | undefined): string[] {
  if (!settings) return [];
  const out: string[] = [];
  // include(":a", ":b") over one or several lines, or include 'a', 'b' on one.
  const calls = [...settings.matchAll(/^\s*include\s*\(([^)]*)\)/gm), ...settings.matchAll(/^\s*include\s+([^(\n][^\n]*)$/gm)];
  for (const call of calls) for (const q of call[1]!.matchAll(/"([^"]+)"|'([^']+)'/g)) out.push((q[1] ?? q[2]!).replace(/^:/, "").replace(/:/g, "/"));
  return out;
}

/** A pom's `<module>`s, and theirs, as folders from the context. */
function mavenModules(repo: RepoView, context: string, folder: string, depth = 0): string[] {
  const pom = repo.read(inFolder(context, folder ? `${folder}/pom.xml` : "pom.xml"));
  if (!pom || depth > 4) return [];
  const modules = [...pom.matchAll(/<module>\s*([^<\s]+)\s*<\/module>/g)].map((m) => (folder ? `${folder}/${m[1]}` : m[1]!));
  return modules.flatMap((m) => [m, ...mavenModules(repo, context, m, depth + 1)]);
}

/** The project files a .sln names (`Project(...) = "Name", "src\\App\\App.csproj", ...`). */
function solutionProjects(sln: string | undefined): string[] {
  if (!sln) return [];
  // A .sln's `Project(...) = "Name", "path"` lines, or a .slnx's `<Project Path="path" />`.
  const paths = [
    ...[...sln.matchAll(/^Project\([^)]*\)\s*=\s*"[^"]*",\s*"([^"]+\.(?:cs|fs|vb)proj)"/gm)].map((m) => m[1]!),
    ...[...sln.matchAll(/<Project\s+[^>]*\bPath="([^"]+\.(?:cs|fs|vb)proj)"/g)].map((m) => m[1]!),
  ];
  return paths.map((p) => p.replace(/\\/g, "/"));
}
