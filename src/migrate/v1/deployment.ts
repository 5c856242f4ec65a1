import { Codes } from "../../diagnostics.js";
import type { Deployment } from "../v1.js";
import { commands } from "./commands.js";
import { isObj, type ReadCtx, str } from "./context.js";

/** deployment: each named entry's branches or tags, commands, owner and heroku app. */
export function readDeployments(ctx: ReadCtx): Deployment[] {
  const { root, pos, diag, note, lines } = ctx;
  const deployments: Deployment[] = [];
  const dep = root.deployment;
  if (dep !== undefined && dep !== null) {
    if (!isObj(dep))
      diag("error", Codes.v1DeploymentShape, ["deployment"], "'deployment:' holds named entries, each with branch or tag and commands.", "value");
    else
      for (const [name, d] of Object.entries(dep)) {
        const p = ["deployment", name];
        lines.add(pos(p).line);
        if (!isObj(d)) {
          diag("error", Codes.v1DeploymentShape, p, `Deployment '${name}' must hold branch or tag, and commands (or heroku).`, "value");
          continue;
        }
        const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map(str);
        const e: Deployment = { name, branches: list(d.branch), tags: list(d.tag), commands: [], at: pos(p) };
        for (const k of Object.keys(d)) {
          lines.add(pos([...p, k]).line);
          if (!["branch", "tag", "owner", "commands", "heroku"].includes(k))
            diag("warning", Codes.unknownV1Key, [...p, k], `Unknown key '${k}' in deployment '${name}': not migrated.`);
        }
        (Array.isArray(d.branch) ? d.branch : []).forEach((_, i) => lines.add(pos([...p, "branch", i], "value").line));
        if (d.owner !== undefined) {
          e.owner = str(d.owner);
          note(
            [...p, "owner"],
            `deployment ${name}: owner ${e.owner}`,
            "CircleCI 2 has no owner filter: forks do not get your project's secrets by default; check the fork settings.",
          );
        }
        e.commands = commands(ctx, d.commands, [...p, "commands"]);
        if (isObj(d.heroku)) {
          e.heroku = { appname: str(d.heroku.appname), at: pos([...p, "heroku"]) };
          lines.add(pos([...p, "heroku", "appname"]).line);
          note(
            [...p, "heroku"],
            `deployment ${name}: heroku ${e.heroku.appname}`,
            "Set HEROKU_API_KEY (and HEROKU_APP_NAME is written into the step) in the project's environment variables; 2.0 has no built-in heroku deploy.",
          );
        }
        if (!e.branches.length && !e.tags.length)
          diag("warning", Codes.v1DeploymentShape, p, `Deployment '${name}' has neither branch nor tag: it would never run; migrated for every branch.`);
        deployments.push(e);
      }
  }
  return deployments;
}
