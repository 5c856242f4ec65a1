import type { ChildProcess } from "node:child_process";

/** Set by Ctrl-C: the running step is stopped, `when: always` steps still run, no new job starts. */
export const interrupt = { requested: false, current: undefined as ChildProcess | undefined };

/** Stops a step's process group: SIGINT, then SIGKILL 5 s later if it is still there. */
export function killTree(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGINT");
  } catch {
    /* gone */
  }
  setTimeout(() => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }, 5000).unref();
}
