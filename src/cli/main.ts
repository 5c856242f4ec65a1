import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { ExitError, ExitStatus } from "./exit.js";

/**
 * The command line: yargs only. Each command's module is imported when it runs, so that start-up
 * loads no more than the command needs.
 */
const common = (y: Argv) =>
  y
    .option("spec", { type: "string", describe: "Spec file (default: gen-circle.yml in --dir)" })
    .option("dir", { type: "string", describe: "Repository root (default: the current folder)" })
    .option("json", { type: "boolean", default: false, describe: "Print diagnostics as JSON" });

async function main(argv: string[]): Promise<ExitStatus> {
  let status: ExitStatus = ExitStatus.Ok;
  const set = (s: ExitStatus | Promise<ExitStatus>) => Promise.resolve(s).then((v) => (status = v));
  const cli = yargs(argv)
    .scriptName("gen-circle")
    .usage("$0 <command> [options]\n\nCompile gen-circle.yml into a CircleCI pipeline for a project tested inside its own Docker image.")
    .command(
      "init",
      "Inspect the repository and write a starter gen-circle.yml",
      (y) =>
        y
          .option("dir", { type: "string", describe: "Repository root (default: the current folder)" })
          .option("force", { type: "boolean", default: false, describe: "Overwrite an existing gen-circle.yml" })
          .example("$0 init", "detect the Dockerfile, hash inputs, services and test command")
          .example("$0 init --dir ../api", "write ../api/gen-circle.yml"),
      async (a) => {
        await set(import("./commands/init.js").then((m) => m.runInit(a)));
      },
    )
    .command(
      "generate",
      "Write .circleci/config.yml and the helper scripts (only files that changed)",
      (y) =>
        common(y)
          .option("dry-run", { type: "boolean", default: false, describe: "Print the changes as a diff; write nothing" })
          .option("force", { type: "boolean", default: false, describe: "Overwrite generated files edited by hand" })
          .example("$0 generate", "write the pipeline for ./gen-circle.yml")
          .example("$0 generate --dry-run", "show what would change"),
      async (a) => {
        await set(import("./commands/generate.js").then((m) => m.runGenerate(a)));
      },
    )
    .command(
      "check",
      "Exit 1 with a diff when generated files drifted from the spec or were edited (writes nothing)",
      (y) => common(y).example("$0 check", "in CI or a pre-commit hook"),
      async (a) => {
        await set(import("./commands/generate.js").then((m) => m.runCheck(a)));
      },
    )
    .command(
      "validate",
      "Check the spec only",
      (y) => common(y).example("$0 validate --json", "machine-readable diagnostics"),
      async (a) => {
        await set(import("./commands/validate.js").then((m) => m.runValidate(a)));
      },
    )
    .command(
      "hash",
      "Print the image hash exactly as the generated hash.sh computes it",
      (y) =>
        common(y)
          .option("image", { type: "string", describe: "Image id (default: every image)" })
          .option("list", { type: "boolean", default: false, describe: "List the input files instead" })
          .example("$0 hash", "the hash that keys the image cache")
          .example("$0 hash --image api --list", "which files decide the api image's hash"),
      async (a) => {
        await set(import("./commands/hash.js").then((m) => m.runHash(a)));
      },
    )
    .demandCommand(1, "Name a command: init, generate, check, validate or hash.")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new ExitError(`${msg}\nRun 'gen-circle --help' for usage.`, ExitStatus.InvalidInput);
    });
  await cli.parseAsync();
  return status;
}

main(hideBin(process.argv)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    if (e instanceof ExitError) {
      if (e.message) process.stderr.write(e.message + "\n");
      process.exit(e.status);
    }
    process.stderr.write(`gen-circle: internal error (please report it with the spec that caused it):\n${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  },
);
