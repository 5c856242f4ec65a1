import { spawnSync } from "node:child_process";
import { relative, isAbsolute } from "node:path";
import { packageRoot } from "../package-root.js";

/**
 * How a job of a local run gets a machine's /tmp of its own (CircleCI gives every job a new
 * machine: nothing one job leaves in /tmp is there for the next).
 * - `namespace` (root): each step runs in a mount namespace of its own with the job's folder bound
 *   on /tmp, so a command that writes /tmp by name writes the job's /tmp.
 * - `paths` (not root, or no mount namespace here): the job's /tmp is a folder found by path only
 *   (TMPDIR, GEN_CIRCLE_STATE, and /tmp in the config's paths); a command that writes /tmp by
 *   name reaches this machine's /tmp.
 */
export type Isolation = { mode: "namespace" } | { mode: "paths"; why: string };

/** A folder or file that the steps of a job reach by path, and so must not be under /tmp. */
export interface Visible {
  what: string;
  path: string;
}

/** What a job's steps reach besides the run's folder: the CLI its `circleci` shim runs, and node. */
export function jobDependencies(): Visible[] {
  const pkg = packageRoot();
  return [...(pkg ? [{ what: "gen-circle's own folder", path: pkg.dir }] : []), { what: "node", path: process.execPath }];
}

const underTmp = (p: string) => {
  const rel = relative("/tmp", p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * Decided once per run; `output` is the run's folder, which must stay visible inside a job, and so
 * must what the job's steps run by path (`needed`): a clone tried under /tmp runs its CLI from there.
 */
export function chooseIsolation(output: string, uid = process.getuid?.() ?? -1, needed: Visible[] = jobDependencies()): Isolation {
  if (uid !== 0) return { mode: "paths", why: "not root (a mount namespace needs root)" };
  if (underTmp(output)) return { mode: "paths", why: `the run's folder ${output} is under /tmp, which a job's own /tmp would hide (pass --output elsewhere)` };
  const hidden = needed.find((v) => underTmp(v.path));
  if (hidden) return { mode: "paths", why: `${hidden.what}, ${hidden.path}, is under /tmp, which a job's own /tmp would hide (install or clone it elsewhere)` };
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) return { mode: "paths", why: "this machine refuses a mount namespace (unshare --mount failed)" };
  return { mode: "namespace" };
}

/** The line the run prints about it. */
export function describeIsolation(i: Isolation): string {
  return i.mode === "namespace"
    ? "  machines: each job has a /tmp of its own (a mount namespace per job)"
    : `  machines: each job has a /tmp of its own by path only: ${i.why}; a command that writes /tmp by name reaches this machine's /tmp`;
}

/** The command and arguments that run `cmd args` on the job's machine, its folder `tmp` on /tmp. */
export function onMachine(i: Isolation, tmp: string, cmd: string, args: string[]): [string, string[]] {
  if (i.mode === "paths") return [cmd, args];
  // --propagation private: the bind stays in this namespace; exec keeps the pid (Ctrl-C, timeouts).
  return ["unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", 'mount --bind "$0" /tmp && exec "$@"', tmp, cmd, ...args]];
}
