import { Codes } from "../diagnostics.js";
import { cliError, ExitError, ExitStatus } from "./exit.js";
import { fastParse, type CommandName } from "./options.js";

/**
 * The command line. Each command's module is imported when it runs; yargs itself only when the
 * invocation needs it (help, usage errors, unusual forms): see options.ts.
 */
const commands: Record<CommandName, { describe: string; examples: [string, string][]; run: (a: Record<string, unknown>) => Promise<ExitStatus> }> = {
  init: {
    describe: "Inspect the repository and write a starter gen-circle.yml",
    examples: [
      ["$0 init", "detect the Dockerfile, hash inputs, services and test command"],
      ["$0 init --dir ../api", "write ../api/gen-circle.yml"],
    ],
    run: async (a) => (await import("./commands/init.js")).runInit(a),
  },
  generate: {
    describe: "Write .circleci/config.yml and the helper scripts (only files that changed)",
    examples: [
      ["$0 generate", "write the pipeline for ./gen-circle.yml"],
      ["$0 generate --dry-run", "show what would change, as a diff"],
      ["$0 generate --force", "also replace generated files edited by hand"],
    ],
    run: async (a) => (await import("./commands/generate.js")).runGenerate(a),
  },
  check: {
    describe: "Exit 1 with a diff when generated files drifted from the spec or were edited (writes nothing)",
    examples: [["$0 check", "in CI or a pre-commit hook: fails when someone forgot to regenerate"]],
    run: async (a) => (await import("./commands/generate.js")).runCheck(a),
  },
  validate: {
    describe: "Check the spec only",
    examples: [
      ["$0 validate", "report every problem with file:line:col"],
      ["$0 validate --json", "machine-readable diagnostics"],
    ],
    run: async (a) => (await import("./commands/validate.js")).runValidate(a),
  },
  hash: {
    describe: "Print the image hash exactly as the generated hash.sh computes it",
    examples: [
      ["$0 hash", "the hash that keys the image cache"],
      ["$0 hash --image api --list", "which files decide the api image's hash"],
    ],
    run: async (a) => (await import("./commands/hash.js")).runHash(a),
  },
};

const runCommand = {
  command: "run [workflow]",
  describe: "Run the CircleCI pipeline here, on this machine's Docker engine: jobs in requires order, filters, caches, workspaces",
  builder: (y: import("yargs").Argv) =>
    y
      .positional("workflow", { type: "string", describe: "Workflow to run (default: the only one)" })
      .option("job", { type: "string", describe: "Run only this job" })
      .option("branch", { type: "string", describe: "Branch the filters see (default: the current git branch)" })
      .option("tag", { type: "string", describe: "Run as for this git tag" })
      .option("config", { type: "string", describe: "Config file (default .circleci/config.yml)" })
      .option("cache-dir", { type: "string", describe: "Where save_cache keeps caches (default ~/.cache/gen-circle/<repo>/cache)" })
      .option("output", { type: "string", describe: "Job folders, workspace and artifacts (default ~/.cache/gen-circle/<repo>/run)" })
      .option("env", { alias: "e", type: "string", array: true, describe: "KEY=VALUE for the jobs (secrets)" })
      .option("dirty", { type: "boolean", default: false, describe: "Include uncommitted changes in the checkout" })
      .option("dir", { type: "string", describe: "Repository (default: the current folder)" })
      .example("$0 run --branch main", "the workflow as a push to main runs it")
      .example("$0 run --tag v1.2.3 -e DOCKER_PASSWORD=...", "as for a release tag, with a secret")
      .example("$0 run --job test-app --dirty", "one job, with uncommitted changes"),
};

async function withYargs(argv: string[]): Promise<ExitStatus> {
  const [{ default: yargs }, { commandOptions }] = await Promise.all([import("yargs"), import("./options.js")]);
  let status: ExitStatus = ExitStatus.Ok;
  let cli = yargs(argv)
    .scriptName("gen-circle")
    .usage("$0 <command> [options]\n\nCompile gen-circle.yml into a CircleCI pipeline for a project tested inside its own Docker image.");
  for (const [name, c] of Object.entries(commands)) {
    cli = cli.command(
      name,
      c.describe,
      (y) => {
        let b = y.options(commandOptions[name as CommandName]);
        for (const [cmd, what] of c.examples) b = b.example(cmd, what);
        return b;
      },
      async (a) => {
        status = await c.run(a as Record<string, unknown>);
      },
    );
  }
  cli = cli.command(
    "migrate [file]",
    "Turn a CircleCI 1.0 circle.yml into a 2.1 config (and a gen-circle.yml when it builds docker images)",
    (y) =>
      y
        .positional("file", { type: "string", describe: "The 1.0 config (default circle.yml)" })
        .option("out", { type: "string", describe: "Where to write .circleci/config.yml (default: the file's folder)" })
        .option("spec", { type: "boolean", default: false, describe: "Also write gen-circle.yml when the file builds docker images" })
        .option("dry-run", { type: "boolean", default: false, describe: "Print the result; write nothing" })
        .option("force", { type: "boolean", default: false, describe: "Overwrite an existing config" })
        .option("report", { type: "string", describe: "Write the migration report (Markdown) to this file" })
        .option("json", { type: "boolean", default: false, describe: "Print diagnostics as JSON" })
        .example("$0 migrate", "circle.yml → .circleci/config.yml, with a report on stdout")
        .example("$0 migrate --spec --report MIGRATION.md", "also gen-circle.yml, and the report as Markdown"),
    async (a) => {
      status = await (await import("./commands/migrate.js")).runMigrate(a as never);
    },
  );
  cli = cli.command(runCommand.command, runCommand.describe, runCommand.builder, async (a) => {
    status = await (await import("./commands/run.js")).runRun(a as never);
  });
  await cli
    .demandCommand(1, `Name a command: ${[...Object.keys(commands), "run", "migrate"].join(", ")}.`)
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw cliError(Codes.cliUsage, `${msg}\nRun 'gen-circle --help' for usage.`);
    })
    .parseAsync();
  return status;
}

/** The installed package's version. */
async function packageVersion(): Promise<string> {
  return (await import("./package-root.js")).packageRoot()?.version ?? "unknown";
}

async function main(argv: string[]): Promise<ExitStatus> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`gen-circle ${await packageVersion()}\n`);
    return ExitStatus.Ok;
  }
  // Hidden: `circleci tests glob|split` inside a job of `gen-circle run` (runner.ts puts the shim).
  if (argv[0] === "__circleci") {
    const { runCircleci } = await import("./commands/circleci.js");
    const { readFileSync } = await import("node:fs");
    return runCircleci(argv.slice(1), { stdin: () => readFileSync(0, "utf8"), out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  }
  const fast = fastParse(argv);
  return fast ? commands[fast.command].run(fast.args) : withYargs(argv);
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    if (e instanceof ExitError) {
      if (e.message) process.stderr.write(e.message + "\n");
      process.exit(e.status);
    }
    process.stderr.write(`gen-circle: internal error (please report it with the spec that caused it):\n${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(ExitStatus.InternalError);
  },
);
