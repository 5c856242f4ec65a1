import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RunContext } from "../runner.js";
import { passed, type StepHandler } from "./step.js";

/** `checkout`: a clean copy of the repository at the commit under test (plus uncommitted changes with --dirty). */
export const checkout: StepHandler<"checkout"> = {
  name: () => "Checkout code",
  run(_step, job) {
    cloneAt(job.ctx, job.workdir);
    return passed();
  },
};

function cloneAt(ctx: RunContext, workdir: string): void {
  rmSync(workdir, { recursive: true, force: true });
  const git = (args: string[], cwd?: string) => {
    const r = spawnSync("git", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  git(["clone", "-q", "--no-checkout", "--no-hardlinks", ctx.root, workdir]);
  git(["checkout", "-q", "--detach", ctx.revision], workdir);
  if (ctx.dirty) {
    for (const f of git(["ls-files", "-m", "-o", "--exclude-standard", "-z"], ctx.root).split("\0").filter(Boolean)) {
      const from = join(ctx.root, f);
      if (existsSync(from)) {
        mkdirSync(dirname(join(workdir, f)), { recursive: true });
        cpSync(from, join(workdir, f));
      }
    }
    for (const f of git(["ls-files", "-d", "-z"], ctx.root).split("\0").filter(Boolean)) rmSync(join(workdir, f), { force: true });
  }
}
