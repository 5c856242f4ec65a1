import { posix } from "node:path";
import { execForm, type Instruction } from "../dockerfile/parse.js";
import { lastInstruction, type RepoView } from "./repo.js";

/**
 * Whether the test stage's ENTRYPOINT runs the test command. The pipeline runs `IMAGE sh -c
 * COMMAND`: Docker hands `sh -c COMMAND` to the entrypoint as its arguments, so the tests run
 * only when it runs them (`exec "$@"`). A shell-form ENTRYPOINT ignores them; a program (`java
 * -jar app.jar`, `./boot.sh` that starts the app) takes them as its own. Only what the
 * repository's Dockerfile sets is seen: a base image's entrypoint is its own to pass them on.
 * Returns why the tests may not run, or undefined.
 */
export function entrypointProblem(repo: RepoView, context: string, instructions: readonly Instruction[]): string | undefined {
  const args = lastInstruction(instructions, "ENTRYPOINT")?.args.trim();
  if (!args) return undefined;
  const words = execForm(args);
  if (words === undefined) return `its ENTRYPOINT (${args}) is in shell form, which ignores the command it is given`;
  if (!words.length || (words.length === 1 && words[0] === "")) return undefined; // `ENTRYPOINT []` clears it
  // Init wrappers (tini, dumb-init) run what follows them, `--` and their flags skipped; gosu and
  // su-exec run it as the user named first, env with the settings before it.
  let i = 0;
  for (let name = posix.basename(words[0] ?? ""); i < words.length; name = posix.basename(words[i] ?? "")) {
    if (/^(tini|tini-static|dumb-init)$/.test(name)) {
      i++;
      while (i < words.length && words[i]!.startsWith("-")) i++;
    } else if (/^(gosu|su-exec)$/.test(name)) i += 2;
    else if (name === "env") {
      i++;
      while (i < words.length && (words[i]!.startsWith("-") || words[i]!.includes("="))) i++;
    } else break;
  }
  if (i >= words.length) return undefined;
  // A command runner ending in its verb or `--` runs its arguments (`bundle exec`, `poetry run`, `uv run`, `wait-for db:5432 --`).
  if (/^(exec|run|--)$/.test(words[words.length - 1]!)) return undefined;
  const program = words[i]!;
  const script = scriptFile(repo, context, program);
  const shown = words.join(" ");
  if (script === undefined) return `its ENTRYPOINT (${shown}) is not a script of the repository that init can read: it gets the command as its arguments`;
  // A script that runs its arguments names them: "$@", $*, ${@}.
  if (/\$\{?[@*]\}?/.test(repo.read(script) ?? "")) return undefined;
  return `its ENTRYPOINT (${shown}) runs ${script}, which never runs the command it is given ("$@")`;
}

/** The repository file an entrypoint runs, by its name in the build context (`/usr/local/bin/docker-entrypoint.sh` ← `docker/docker-entrypoint.sh`), when one file has it. */
function scriptFile(repo: RepoView, context: string, program: string): string | undefined {
  const name = posix.basename(program);
  const top = context === "." ? "" : `${context}/`;
  const found = repo.files.filter((f) => f.startsWith(top) && posix.basename(f) === name);
  return found.length === 1 ? found[0] : undefined;
}
