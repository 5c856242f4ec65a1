import { describe, expect, it } from "vitest";
import { checkValues, commandArgs, fastParse, yargsOption } from "../../src/cli/options.js";
import { handlerOf } from "../../src/cli/run/steps/index.js";
import type { Step } from "../../src/run/expand.js";

// The CLI's one table of options (src/cli/options.ts) and the runner's one table of step kinds
// (src/cli/run/steps/): the pure parts, without a process or a job.
describe("the options table", () => {
  it("fastParse takes no name of an object's prototype for a command or an option (left to yargs, which refuses it)", () => {
    expect(fastParse(["constructor"])).toBeUndefined();
    expect(fastParse(["toString", "--dir", "x"])).toBeUndefined();
    expect(fastParse(["check", "--constructor"])).toBeUndefined();
  });

  it("fastParse reads the plain commands with their defaults; commands with positionals are yargs'", () => {
    expect(fastParse(["generate", "--dry-run", "--dir=x"])).toEqual({ command: "generate", args: { json: false, dryRun: true, force: false, dir: "x" } });
    expect(fastParse(["hash", "--image", "api"])?.args.image).toBe("api");
    expect(fastParse(["run", "--branch", "main"])).toBeUndefined();
    expect(fastParse(["migrate"])).toBeUndefined();
    expect(fastParse(["check", "-h"])).toBeUndefined();
  });

  it("checkValues refuses a blank value where the table says an option needs one, with its example", () => {
    expect(() => checkValues("run", { branch: "main", tag: undefined, output: "" })).not.toThrow();
    expect(() => checkValues("run", { tag: " " })).toThrow(/GC4001: --tag needs a value, e.g. --tag v1\.2\.3\./);
    expect(() => checkValues("run", { config: "" })).toThrow(/--config needs a value, e.g. --config \.circleci\/config\.yml\./);
  });

  it("yargs gets each option without the table's own fields", () => {
    expect(yargsOption(commandArgs.run.options.job)).toEqual({ type: "string", describe: "Run only this job" });
    expect(yargsOption(commandArgs.run.options.env)).toEqual({ alias: "e", type: "string", array: true, describe: "KEY=VALUE for the jobs (secrets)" });
  });
});

describe("the step table", () => {
  const cases: [Step, string, string][] = [
    [{ kind: "checkout" }, "Checkout code", "on_success"],
    [{ kind: "restore_cache", name: "Restoring cache", keys: ["k"] }, "Restoring cache", "on_success"],
    [{ kind: "save_cache", name: "Saving cache", key: "k", paths: [], when: "always" }, "Saving cache", "always"],
    [{ kind: "persist_to_workspace", root: ".", paths: [] }, "Persisting to workspace", "on_success"],
    [{ kind: "attach_workspace", at: "." }, "Attaching workspace", "on_success"],
    [{ kind: "store_test_results", path: "r" }, "Storing test results (r)", "always"],
    [{ kind: "store_artifacts", path: "a" }, "Storing artifacts (a)", "always"],
    [{ kind: "setup_remote_docker" }, "Setting up remote docker", "on_success"],
  ];
  it.each(cases)("%j: its line's name and when it runs by default", (step, name, when) => {
    const handler = handlerOf(step);
    expect(handler.name(step)).toBe(name);
    expect(handler.when?.(step) ?? "on_success").toBe(when);
  });
});
