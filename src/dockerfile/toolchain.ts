import { parseReference } from "../spec/docker-ref.js";

/**
 * Which build and test tools a stage has, read as the images and package managers define them:
 * the base image's official purpose (a JDK, a Go toolchain, a runtime only), what its RUN lines
 * install or run, and the tools it copies in from other images (`COPY --from=composer`).
 */
export type Ecosystem = "java" | "rust" | "go" | "elixir" | "dotnet" | "php" | "ruby" | "python" | "node";
export type Tool =
  "java" | "mvn" | "gradle" | "cargo" | "go" | "mix" | "dotnet" | "php" | "composer" | "ruby" | "python" | "uv" | "poetry" | "node" | "yarn" | "pnpm" | "make";

/** The ecosystem each tool belongs to (make belongs to none). */
const TOOL_ECOSYSTEM: Record<Tool, Ecosystem | undefined> = {
  java: "java",
  mvn: "java",
  gradle: "java",
  cargo: "rust",
  go: "go",
  mix: "elixir",
  dotnet: "dotnet",
  php: "php",
  composer: "php",
  ruby: "ruby",
  python: "python",
  uv: "python",
  poetry: "python",
  node: "node",
  yarn: "node",
  pnpm: "node",
  make: undefined,
};
export const ecosystemOf = (tool: Tool): Ecosystem | undefined => TOOL_ECOSYSTEM[tool];

/**
 * What a base image is for: a `toolchain` (an SDK: JDK, Go, Node...), an `os` (alpine, debian:
 * tools only as its RUN lines install them), a `runtime` only (scratch, distroless, a JRE, the
 * .NET runtime, a web server: no tests run there), or `unknown` (an image init does not know).
 */
export interface BaseImage {
  kind: "toolchain" | "os" | "runtime" | "unknown";
  ecosystem?: Ecosystem;
  tools: Tool[];
}

const toolchain = (ecosystem: Ecosystem, ...tools: Tool[]): BaseImage => ({ kind: "toolchain", ecosystem, tools });
const RUNTIME: BaseImage = { kind: "runtime", tools: [] };

/** Images of an OS with no language toolchain. */
const OS_IMAGE =
  /^(alpine|debian|ubuntu|busybox|centos|fedora|rockylinux|almalinux|amazonlinux|ubi\d*(-minimal|-micro|-init)?|archlinux|opensuse|leap|tumbleweed|oraclelinux|photon|wolfi-base|clearlinux|buildpack-deps|gcc)$/;
/** Servers and proxies: they serve built files, they run no tests. */
const SERVER_IMAGE = /^(nginx.*|httpd|apache|caddy|traefik|haproxy|envoy|tomcat|jetty|lighttpd|openresty|unit|varnish)$/;

/** Ordered rules on the image's last path part (`name`), its whole repository and its tag. */
const BASE_RULES: [(name: string, repo: string, tag: string) => boolean, BaseImage][] = [
  [(_, repo) => repo === "scratch" || repo.startsWith("gcr.io/distroless/") || /^cgr\.dev\/chainguard\/(static|glibc-dynamic)$/.test(repo), RUNTIME],
  [(_, repo) => /(^|\/)dotnet\/(core\/)?sdk$/.test(repo), toolchain("dotnet", "dotnet")],
  [
    (_, repo) => /(^|\/)dotnet\/(core\/)?(aspnet|runtime|runtime-deps)$/.test(repo) || /^(dotnet-runtime|aspnet-runtime)$/.test(repo.split("/").pop()!),
    RUNTIME,
  ],
  [(name, _, tag) => /jre/.test(name) || /(^|[-_.])jre/.test(tag), RUNTIME],
  [(name) => SERVER_IMAGE.test(name), RUNTIME],
  [(name) => name === "maven", toolchain("java", "java", "mvn")],
  [(name) => name === "gradle", toolchain("java", "java", "gradle")],
  [(name) => /jdk|^(eclipse-temurin|openjdk|amazoncorretto|ibm-semeru-runtimes|sapmachine|graalvm.*|liberica.*|zulu.*)$/.test(name), toolchain("java", "java")],
  [(name) => /^(rust|muslrust|rust-musl-builder|rust-musl-cross|cargo-chef)$/.test(name), toolchain("rust", "cargo")],
  [(name) => /^(go|golang|golangci-lint)$/.test(name), toolchain("go", "go")],
  [(name) => /^(alpine-)?elixir$/.test(name), toolchain("elixir", "mix")],
  [(name) => name === "composer", toolchain("php", "php", "composer")],
  [(name) => /^(php|php-[a-z0-9-]+|frankenphp)$/.test(name), toolchain("php", "php")],
  [(name) => /^j?ruby$/.test(name), toolchain("ruby", "ruby")],
  [(name, _, tag) => name === "uv" && !/python|bookworm|trixie|alpine/.test(tag), RUNTIME],
  [(name) => name === "uv", toolchain("python", "python", "uv")],
  [(name) => /^(python.*|pypy|miniconda\d?|anaconda\d?|mambaforge|miniforge\d?|micromamba)$/.test(name), toolchain("python", "python")],
  [(name) => /^node(js)?$/.test(name), toolchain("node", "node", "yarn")],
  [(name) => OS_IMAGE.test(name), { kind: "os", tools: [] }],
];

/** Whether a base image is a web server or proxy (nginx, httpd, caddy): it serves built files, it runs no code of the project's. */
export function servesFiles(from: string): boolean {
  const ref = parseReference(from.toLowerCase());
  return ref !== undefined && SERVER_IMAGE.test(ref.path.split("/").pop()!);
}

/** What a base image (`FROM` argument: `maven:3-eclipse-temurin-21`, `gcr.io/distroless/java21`) is for. */
export function baseImage(from: string): BaseImage {
  const ref = parseReference(from.toLowerCase());
  if (!ref) return { kind: "unknown", tools: [] };
  const repo = (ref.domain && ref.domain !== "docker.io" ? `${ref.domain}/` : "") + ref.path.replace(/^library\//, "");
  const name = repo.split("/").pop()!;
  const tag = ref.tag ?? "latest";
  const rule = BASE_RULES.find(([test]) => test(name, repo, tag));
  if (!rule) return { kind: "unknown", tools: [] };
  const image = rule[1];
  // The full (buildpack-deps) variants of the official language images have make; slim and alpine do not.
  const full = /^(node|python|ruby|rust|elixir|golang|buildpack-deps|gcc)$/.test(name) && !/slim|alpine|windows|nanoserver/.test(tag);
  return full ? { ...image, tools: [...image.tools, "make"] } : image;
}

/** A RUN's simple commands (split at `&&`, `||`, `;`, `|`, parentheses, `then`/`do`), each as words. */
export function simpleCommands(run: string): string[][] {
  return run
    .split(/&&|\|\||[;|()\n]|\b(?:then|do|else)\b/)
    .map((c) => c.trim().split(/\s+/).filter(Boolean))
    .map((words) => {
      let i = 0;
      // Variable assignments and wrappers before the command itself.
      while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || /^(sudo|exec|env|time|nice|command|if|!)$/.test(words[i]!))) i++;
      return words.slice(i);
    })
    .filter((words) => words.length > 0);
}

/** The tools a command run in a RUN line shows the stage has (it would fail without them). */
const COMMAND_TOOLS: [RegExp, Tool[]][] = [
  [/^mvn$/, ["mvn", "java"]],
  [/^(mvnw|gradlew|javac|jar)$/, ["java"]],
  [/^gradle$/, ["gradle", "java"]],
  [/^(cargo|rustc|rustup)$/, ["cargo"]],
  [/^go$/, ["go"]],
  [/^(mix|elixir|iex)$/, ["mix"]],
  [/^dotnet$/, ["dotnet"]],
  [/^(php|phpunit|docker-php-ext-install|install-php-extensions)$/, ["php"]],
  [/^composer$/, ["composer", "php"]],
  [/^(ruby|bundle|bundler|gem|rake|rails)$/, ["ruby"]],
  [/^(python[\d.]*|pip[\d.]*|pipenv)$/, ["python"]],
  [/^uv$/, ["uv", "python"]],
  [/^poetry$/, ["poetry", "python"]],
  [/^(node|npm|npx)$/, ["node"]],
  [/^yarn$/, ["yarn", "node"]],
  [/^pnpm$/, ["pnpm", "node"]],
  [/^corepack$/, ["node", "yarn", "pnpm"]],
  [/^make$/, ["make"]],
];

/** The tools running a program needs (`yarn`: yarn and node; `./mvnw`: a JDK); corepack needs node only. */
export function toolsToRun(program: string): Tool[] {
  const name = program.split("/").pop()!;
  return name === "corepack" ? ["node"] : (COMMAND_TOOLS.find(([re]) => re.test(name))?.[1] ?? []);
}

/** Packages of apt, apk, dnf/yum, zypper that bring a tool. */
const PACKAGE_TOOLS: [RegExp, Tool[]][] = [
  [/^maven$/, ["mvn", "java"]],
  [/^gradle$/, ["gradle", "java"]],
  [/^(?!.*jre).*jdk.*$|^java-[\d.]+-openjdk-devel$/, ["java"]],
  [/^(golang(-go|-[\d.]+(-go)?)?|go)$/, ["go"]],
  [/^(cargo|rust|rustc)$/, ["cargo"]],
  [/^elixir$/, ["mix"]],
  [/^(nodejs|npm)$/, ["node"]],
  [/^yarn$/, ["yarn", "node"]],
  [/^(python[\d.]*|python[\d.]*-pip|py3-pip)$/, ["python"]],
  [/^(ruby[\d.]*|ruby-full|bundler)$/, ["ruby"]],
  [/^php[\d.]*(-cli)?$/, ["php"]],
  [/^composer$/, ["composer", "php"]],
  [/^(dotnet-sdk.*|dotnet[\d.]*(-sdk.*)?)$/, ["dotnet"]],
  [/^(make|build-essential|build-base)$/, ["make"]],
];

/** Installers fetched by URL, and global installs of a package manager. */
const INSTALLER_TOOLS: [RegExp, Tool[]][] = [
  [/sh\.rustup\.rs|rustup-init/, ["cargo"]],
  [/getcomposer\.org|composer-setup\.php|@composer\b/, ["composer"]],
  [/nodesource\.com|\bnvm install|\bfnm install|nodejs\.org\/dist/, ["node"]],
  [/dotnet-install\.sh|dot\.net\/v1/, ["dotnet"]],
  [/go\.dev\/dl|golang\.org\/dl|dl\.google\.com\/go/, ["go"]],
  [/astral\.sh\/uv|\bpipx? install\b[^&;|]*\buv\b/, ["uv"]],
  [/install\.python-poetry\.org|\bpipx? install\b[^&;|]*\bpoetry\b/, ["poetry"]],
  [/\bsdk install java\b/, ["java"]],
  [/\bsdk install maven\b/, ["mvn", "java"]],
  [/\bsdk install gradle\b/, ["gradle", "java"]],
  [/\bnpm (i|install|add) (-g|--global)\b[^&;|]*\bpnpm\b/, ["pnpm"]],
  [/\bnpm (i|install|add) (-g|--global)\b[^&;|]*\byarn\b/, ["yarn"]],
];

/** The tools a RUN command installs (packages, installers) or runs. */
export function runTools(run: string): Tool[] {
  const tools = new Set<Tool>();
  const add = (list: readonly [RegExp, Tool[]][], word: string) => list.filter(([re]) => re.test(word)).forEach(([, t]) => t.forEach((x) => tools.add(x)));
  for (const words of simpleCommands(run)) {
    add(COMMAND_TOOLS, words[0]!.split("/").pop()!);
    const verb = words.findIndex((w, i) => i > 0 && /^(install|add|in)$/.test(w));
    if (verb !== -1 && /^(apt-get|apt|apk|yum|dnf|microdnf|zypper)$/.test(words[0]!.split("/").pop()!)) {
      for (const pkg of words.slice(verb + 1).filter((w) => !w.startsWith("-"))) add(PACKAGE_TOOLS, pkg.replace(/[=@].*$/, "").toLowerCase());
    }
  }
  INSTALLER_TOOLS.filter(([re]) => re.test(run)).forEach(([, t]) => t.forEach((x) => tools.add(x)));
  return [...tools];
}

/** Tools copied in from an image (`COPY --from=composer:2 /usr/bin/composer ...`, `/uv /uvx`, `/usr/local/go`). */
export function copiedTools(sources: readonly string[]): Tool[] {
  const tools = new Set<Tool>();
  for (const src of sources) {
    const name = src.replace(/\/+$/, "").split("/").pop() ?? "";
    const tool = (["composer", "uv", "go", "node", "cargo", "mvn", "gradle", "dotnet", "pnpm", "yarn", "poetry"] as const).find(
      (t) => name === t || name === `${t}x`,
    );
    if (tool) tools.add(tool);
  }
  return [...tools];
}
