import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { globTests, isSplitBy, parseDuration, SPLIT_MODES, type SplitBy, splitTests } from "../../run/split.js";
import { ExitStatus } from "../exit.js";

type IO = { stdin: () => string; out: (s: string) => void; err: (s: string) => void };

/**
 * The `circleci` command inside a job of `gen-circle run` (the runner puts a `circleci` on the
 * job's PATH that calls this): `circleci tests glob PATTERN...`, `circleci tests split` and
 * `circleci tests run --command CMD`, with the job's node (CIRCLE_NODE_INDEX/TOTAL) and the
 * timings its last green local run stored (GEN_CIRCLE_TIMINGS, a JSON file the runner writes).
 * Anything else fails, saying so: a step that needs more of CircleCI's CLI cannot pass here by
 * accident.
 */
export async function runCircleci(argv: string[], io: IO): Promise<ExitStatus> {
  const [group, verb, ...rest] = argv;
  if (group !== "tests" || (verb !== "glob" && verb !== "split" && verb !== "run")) {
    io.err(`circleci ${argv.join(" ")}: gen-circle run provides only 'circleci tests glob', 'circleci tests split' and 'circleci tests run'\n`);
    return ExitStatus.Failed;
  }
  if (verb === "glob") {
    const patterns = rest.filter((a) => !a.startsWith("-"));
    if (!patterns.length) {
      io.err("circleci tests glob: name at least one pattern\n");
      return ExitStatus.Failed;
    }
    for (const f of globTests(patterns, listFiles("."))) io.out(`${f}\n`);
    return ExitStatus.Ok;
  }
  const share = splitShare(verb, rest, io);
  if (share.status !== undefined) return share.status;
  if (verb === "split") {
    for (const n of share.names) io.out(`${n}\n`);
    return ExitStatus.Ok;
  }
  // `tests run`: the command gets this node's share on its stdin, one name a line, as CircleCI's
  // does (a "Rerun failed tests" workflow would give it the failed ones only; none here).
  if (!share.command) {
    io.err('circleci tests run: --command is required (e.g. --command "xargs pytest")\n');
    return ExitStatus.Failed;
  }
  const r = spawnSync("sh", ["-c", share.command], { input: share.names.map((n) => `${n}\n`).join(""), stdio: ["pipe", "inherit", "inherit"] });
  return r.status === 0 ? ExitStatus.Ok : ExitStatus.Failed;
}

/** The options `tests split` and `tests run` share, read; this node's share of the names on stdin (or in a file). */
function splitShare(verb: "split" | "run", rest: string[], io: IO): { names: string[]; command?: string; status?: ExitStatus } {
  const fail = (message: string) => {
    io.err(`circleci tests ${verb}: ${message}\n`);
    return { names: [], status: ExitStatus.Failed };
  };
  let by: SplitBy = "name";
  let total = Number(process.env.CIRCLE_NODE_TOTAL ?? "1");
  let index = Number(process.env.CIRCLE_NODE_INDEX ?? "0");
  let file: string | undefined;
  let command: string | undefined;
  let timeDefault: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? rest[++i] ?? "";
    if (flag === "--split-by") {
      const v = value();
      if (!isSplitBy(v)) return fail(`--split-by must be ${SPLIT_MODES.slice(0, -1).join(", ")} or ${SPLIT_MODES.at(-1)}, not '${v}'`);
      by = v;
    } else if (flag === "--total") total = Number(value());
    else if (flag === "--index") index = Number(value());
    else if (flag === "--timings-type") {
      const v = value();
      if (v !== "filename") return fail(`gen-circle run keeps filename timings only (--timings-type=${v})`);
    } else if (flag === "--time-default") {
      const v = value();
      timeDefault = parseDuration(v);
      if (timeDefault === undefined) return fail(`--time-default must be a duration such as 10s or 1m30s, not '${v}'`);
    } else if (verb === "run" && flag === "--command") command = value();
    else if (verb === "run" && (flag === "-v" || flag === "--verbose")) continue;
    else if (flag.startsWith("-")) return fail(`unknown option ${flag}`);
    else if (verb === "split") file = flag;
    else return fail(`takes the test names on stdin, not '${flag}'`);
  }
  if (!Number.isInteger(total) || total < 1 || !Number.isInteger(index) || index < 0 || index >= total)
    return fail(`node ${index} of ${total} is not a node of this job`);
  const names = (file === undefined ? io.stdin() : readFileSync(file, "utf8")).split(/\r?\n/);
  const sizes = new Map<string, number>();
  if (by === "filesize") for (const n of names.filter(Boolean)) sizes.set(n, safeSize(n));
  const timingsFile = process.env.GEN_CIRCLE_TIMINGS;
  let timings: Map<string, number> | undefined;
  if (by === "timings" && timingsFile) {
    try {
      timings = new Map(Object.entries(JSON.parse(readFileSync(timingsFile, "utf8")) as Record<string, number>));
    } catch {
      timings = undefined; // no green run stored yet
    }
  }
  const r = splitTests({ names, by, index, total, sizes, timings, timeDefault });
  for (const n of r.notes) io.err(`${n}\n`);
  return { names: r.share, command };
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Files below `dir`, relative, without .git (what a glob of test files can mean). */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === ".git") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}
