import type { Argv } from "yargs";
import { Codes } from "../diagnostics.js";
import { cliError, ExitError, ExitStatus } from "./exit.js";
import { type CommandArgs, commandArgs, type CommandName, fastParse, type FastCommand, yargsOption } from "./options.js";

interface Command {
  describe: string;
  examples: [string, string][];
  run: (a: Record<string, unknown>) => Promise<ExitStatus>;
}

/**
 * The command line; the arguments of each command are in options.ts. Each command's module is
 * imported when it runs; yargs itself only when the invocation needs it (help, usage errors,
 * unusual forms, commands with positionals).
 */
const commands: Record<FastCommand, Command> = {
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
  cost: {
    describe:
      "Estimate what the pipeline costs on CircleCI: per kind of push and scenario, machine starts, bytes restored and saved, critical path and credits",
    examples: [
      ["$0 cost", "every kind of push, every scenario, with a 500 MB archive"],
      ["$0 cost --branch main --scenario deps --archive-mb 900", "a dependency change on main, for a 900 MB archive"],
      ["$0 cost --cache-dir ~/.cache/gen-circle/app-1234abcd/cache", "with the archive sizes gen-circle run measured"],
    ],
    run: async (a) => (await import("./commands/cost.js")).runCost(a),
  },
};

// Always parsed by yargs: fastParse reads no positionals.
const yargsCommands: Record<Exclude<CommandName, FastCommand>, Command> = {
  migrate: {
    describe: "Turn a CircleCI 1.0 circle.yml into a 2.1 config (and a gen-circle.yml when it builds docker images)",
    examples: [
      ["$0 migrate", "circle.yml → .circleci/config.yml, with a report on stdout"],
      ["$0 migrate --spec --report MIGRATION.md", "also gen-circle.yml, and the report as Markdown"],
    ],
    run: async (a) => (await import("./commands/migrate.js")).runMigrate(a as never),
  },
  run: {
    describe: "Run the CircleCI pipeline here, on this machine's Docker engine: jobs in requires order, filters, caches, workspaces",
    examples: [
      ["$0 run --branch main", "the workflow as a push to main runs it"],
      ["$0 run --tag v1.2.3 -e DOCKER_PASSWORD=...", "as for a release tag, with a secret"],
      ["$0 run --job test-app --dirty", "one job, with uncommitted changes"],
    ],
    run: async (a) => (await import("./commands/run.js")).runRun(a),
  },
};

// yargs learns a command's positionals from its name: `run [workflow]`.
function yargsCommand(name: CommandName, examples: [string, string][]): { command: string; builder: (y: Argv) => Argv } {
  const { positionals = {}, options } = commandArgs[name] as CommandArgs;
  const command = [name, ...Object.keys(positionals).map((p) => `[${p}]`)].join(" ");
  const builder = (y: Argv) => {
    let b = y;
    for (const [p, o] of Object.entries(positionals)) b = b.positional(p, o);
    for (const [o, spec] of Object.entries(options)) b = b.option(o, yargsOption(spec));
    for (const [cmd, what] of examples) b = b.example(cmd, what);
    return b;
  };
  return { command, builder };
}

async function withYargs(argv: string[]): Promise<ExitStatus> {
  const { default: yargs } = await import("yargs");
  let status: ExitStatus = ExitStatus.Ok;
  let cli = yargs(argv)
    .scriptName("gen-circle")
    .usage("$0 <command> [options]\n\nCompile gen-circle.yml into a CircleCI pipeline for a project tested inside its own Docker image.");
  for (const [name, c] of Object.entries({ ...commands, ...yargsCommands })) {
    const { command, builder } = yargsCommand(name as CommandName, c.examples);
    cli = cli.command(command, c.describe, builder, async (a) => {
      status = await c.run(a as Record<string, unknown>);
    });
  }
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
