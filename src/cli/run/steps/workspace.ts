import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { sizeOf } from "../cache-store.js";
import { passed, type StepHandler } from "./step.js";

/** `persist_to_workspace`: into the run's workspace folder; a path persisted by two nodes of a job fails, as on CircleCI. */
export const persistToWorkspace: StepHandler<"persist_to_workspace"> = {
  name: () => "Persisting to workspace",
  run(step, { ctx, node, result, mapPath, workdir }) {
    const rootDir = mapPath(step.root, workdir);
    for (const p of step.paths) {
      const from = join(rootDir, p);
      if (!existsSync(from)) throw new Error(`${p} does not exist under ${step.root}`);
      const other = node.persisted.get(p);
      if (other !== undefined && other !== node.index) {
        throw new Error(
          `${p} was persisted by node ${other} too: CircleCI refuses one path persisted by concurrent jobs (persist it from one node, or under a name per node)`,
        );
      }
      node.persisted.set(p, node.index);
      result.workspace.persisted += sizeOf(from);
      cpSync(from, join(ctx.output, "workspace", p), { recursive: true, force: true });
    }
    return passed(step.paths.join(", "));
  },
};

/** `attach_workspace`: all the run's workspace so far. */
export const attachWorkspace: StepHandler<"attach_workspace"> = {
  name: () => "Attaching workspace",
  run(step, { ctx, result, mapPath, workdir }) {
    const ws = join(ctx.output, "workspace");
    mkdirSync(ws, { recursive: true });
    cpSync(ws, mapPath(step.at, workdir), { recursive: true, force: true });
    result.workspace.attached += sizeOf(ws);
    return passed(`at ${step.at}`);
  },
};
