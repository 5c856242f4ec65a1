import { posix } from "node:path";
import { parse } from "yaml";
import type { RepoView } from "./repo.js";
import { shellCommands, shellWords } from "./shell.js";

/**
 * The commands the project's CI runs, as the test command's source where the repository names
 * none of its own: GitHub Actions steps (`run:`, with `working-directory`), GitLab CI `script:`,
 * Woodpecker `commands:`, CircleCI `run:` and Travis `script:`. Pure: the files come from the caller.
 */
export interface CiCommand {
  /** One simple command, as written (`go test -v $(go list ./...) -tags skipCi`). */
  command: string;
  /** The folder it runs in, from the repository's root ("" for the root). */
  dir: string;
  file: string;
}

const CI_FILES =
  /^(\.github\/workflows\/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.woodpecker\.ya?ml|\.woodpecker\/[^/]+\.ya?ml|\.circleci\/config\.ya?ml|\.travis\.ya?ml)$/;

export function ciCommands(repo: RepoView): CiCommand[] {
  const out: CiCommand[] = [];
  for (const file of repo.files.filter((f) => CI_FILES.test(f)).sort()) {
    let doc: unknown;
    try {
      doc = parse(repo.read(file) ?? "");
    } catch {
      continue; // a CI file that is not YAML says nothing here
    }
    for (const { script, dir } of scriptsOf(file, doc)) {
      let at = dir;
      for (const command of shellCommands(script)) {
        // `cd backend && pytest`: what follows runs in that folder.
        const cd = /^cd\s+(\S+)$/.exec(command);
        if (cd) {
          at = posix.normalize(posix.join(at, cd[1]!.replace(/^["']|["']$/g, ""))).replace(/^\.$/, "");
          continue;
        }
        out.push({ command, dir: at, file });
      }
    }
  }
  return out;
}

type Script = { script: string; dir: string };
const record = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const text = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const folder = (v: unknown): string | undefined =>
  typeof v === "string" && !v.includes("${{")
    ? posix
        .normalize(v)
        .replace(/^\.\/?|\/$/g, "")
        .replace(/^\.$/, "")
    : undefined;

/** The shell scripts of one CI file, with the folder each runs in. */
function scriptsOf(file: string, doc: unknown): Script[] {
  const top = record(doc);
  if (file.startsWith(".github/")) {
    const base = folder(record(record(top.defaults).run)["working-directory"]) ?? "";
    return Object.values(record(top.jobs)).flatMap((job) => {
      const dir = folder(record(record(record(job).defaults).run)["working-directory"]) ?? base;
      return list(record(job).steps).flatMap((step) =>
        text(record(step).run).map((script) => ({ script, dir: folder(record(step)["working-directory"]) ?? dir })),
      );
    });
  }
  if (file.startsWith(".circleci/"))
    return Object.values(record(top.jobs)).flatMap((job) =>
      list(record(job).steps).flatMap((step) => {
        const run = record(step).run;
        return typeof run === "string"
          ? [{ script: run, dir: "" }]
          : text(record(run).command).map((script) => ({ script, dir: folder(record(run).working_directory) ?? "" }));
      }),
    );
  if (file.startsWith(".woodpecker")) {
    const steps = top.steps ?? top.pipeline;
    const all = Array.isArray(steps) ? steps : Object.values(record(steps));
    return all.flatMap((step) => text(record(step).commands).map((script) => ({ script, dir: folder(record(step).directory) ?? "" })));
  }
  if (file.startsWith(".travis")) return text(top.script).map((script) => ({ script, dir: "" }));
  // GitLab CI: every job's script.
  return Object.values(top).flatMap((job) => text(record(job).script).map((script) => ({ script, dir: "" })));
}

/**
 * What a test command runs, to match a CI command with the tool's default: `go test`, `dotnet
 * test`, `cargo test`, `mix test`, `npm test` (npm, yarn, pnpm, bun), `mvn test`, `gradle test`,
 * `pytest`, `rspec`, `phpunit`, `pest`, `make test`; through `uv run`, `poetry run`, `bundle exec`,
 * `python -m`, `php <script>`. Undefined for anything else.
 */
export function runnerOf(command: string): string | undefined {
  let words = shellWords(command);
  while (words.length && /^[A-Za-z_]\w*=/.test(words[0]!)) words = words.slice(1);
  for (;;) {
    const tool = (words[0] ?? "").split("/").pop()!;
    if (/^(uv|poetry|pipenv|pdm|hatch)$/.test(tool) && words[1] === "run") words = words.slice(2);
    else if (/^bundler?$/.test(tool) && words[1] === "exec") words = words.slice(2);
    else if (/^python[\d.]*$/.test(tool) && words[1] === "-m") words = words.slice(2);
    else if (/^php[\d.]*$/.test(tool)) words = words.slice(1).filter((w) => !w.startsWith("-"));
    else break;
  }
  const base = (words[0] ?? "").split("/").pop()!;
  const tool = base === "mvnw" ? "mvn" : base === "gradlew" ? "gradle" : base;
  const verb = words.slice(1).find((w) => !w.startsWith("-"));
  if (/^(go|dotnet|cargo|mix|make)$/.test(tool)) return verb === "test" ? `${tool} test` : undefined;
  if (/^(npm|yarn|pnpm|bun)$/.test(tool)) {
    const script = verb === "run" ? words.slice(2).find((w) => !w.startsWith("-")) : verb;
    return script === "test" ? "npm test" : undefined;
  }
  if (/^(mvn|gradle)$/.test(tool)) return words.slice(1).some((w) => /^(test|verify|check)$/.test(w)) ? `${tool} test` : undefined;
  if (tool === "artisan") return verb === "test" ? "artisan test" : undefined;
  return /^(pytest|py\.test|rspec|phpunit|pest|jest|vitest)$/.test(tool) ? tool.replace("py.test", "pytest") : undefined;
}

/** Flags that write reports or coverage (the pipeline collects its own), or that need CI's earlier steps (`--no-build`). */
const DROPPED: [RegExp, boolean][] = [
  [/^--(no-build|no-restore)$/, false],
  [/^--(coverage(-text|-xml|-html|-clover|-cobertura|-php|-crap4j)?|cov-report|cov|junitxml|junit-xml|log-junit|logger|collect|results-directory)$/, true],
  [/^--(coverage[\w-]*|cov[\w-]*|junitxml|junit-xml|log-junit|logger|collect|results-directory)=/, false],
  [/^-(coverprofile|covermode|coverpkg)(=|$)/, true],
];

/** A CI command as a test command of the image: report, coverage and CI-step flags left out. */
export function asTestCommand(command: string): string {
  const words = shellWords(command);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const rule = DROPPED.find(([re]) => re.test(w));
    if (!rule) {
      out.push(w);
      continue;
    }
    // A flag that takes a value as the next word (`--log-junit junit.xml`, `-coverprofile c.out`), unless it is given with `=`.
    const valued =
      rule[1] &&
      !w.includes("=") &&
      /^(--(coverage-(xml|html|clover|cobertura|php|crap4j)|cov-report|junitxml|junit-xml|log-junit|logger|collect|results-directory)|-(coverprofile|covermode|coverpkg))$/.test(
        w,
      );
    if (valued) i++;
  }
  // `php -dxdebug.mode=coverage vendor/bin/phpunit`: the coverage driver's setting goes with the coverage.
  return out.filter((w, i) => !(i > 0 && /^php[\d.]*$/.test(out[0]!) && /^-d\s*xdebug\.mode=coverage$/.test(w))).join(" ");
}
