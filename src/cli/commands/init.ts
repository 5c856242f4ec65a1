import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { detect } from "../../init/detect.js";
import { Codes } from "../../diagnostics.js";
import { cliError, ExitStatus } from "../exit.js";
import { applyWrites, walkFiles } from "../fs.js";

export function runInit(args: { dir?: string; force?: boolean }): ExitStatus {
  const root = resolve(args.dir ?? ".");
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw cliError(Codes.notAFolder, `${root} is not a folder: pass the repository's folder with --dir.`);
  }
  const target = join(root, "gen-circle.yml");
  if (existsSync(target) && !args.force) {
    throw cliError(Codes.wouldOverwrite, `${target} already exists; not overwritten. Edit it, or run 'gen-circle init --force' to start over.`);
  }
  const files = walkFiles(root).filter((f) => !f.startsWith("node_modules/"));
  const result = detect({
    name: basename(root),
    files,
    read: (p) => {
      try {
        return readFileSync(join(root, p), "utf8");
      } catch {
        return undefined;
      }
    },
  });
  applyWrites(root, [{ path: "gen-circle.yml", content: result.spec }]);
  const out = [`wrote ${target}`, "found:", ...result.found.map((f) => `  - ${f}`)];
  if (result.guessed.length) out.push("guessed (check these):", ...result.guessed.map((g) => `  - ${g}`));
  if (result.todo.length) out.push("TODO (marked in the spec; check each):", ...result.todo.map((t) => `  - ${t}`));
  out.push("next: review it, then run 'npx gen-circle generate'");
  process.stderr.write(out.join("\n") + "\n");
  return ExitStatus.Ok;
}
