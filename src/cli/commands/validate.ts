import { ExitStatus } from "../exit.js";
import { compileProject, type CommonArgs } from "../project.js";

export function runValidate(args: CommonArgs): ExitStatus {
  const { input, spec } = compileProject(args);
  if (args.json) process.stdout.write(JSON.stringify({ diagnostics: [] }) + "\n");
  else process.stderr.write(`${input.display} is valid: ${spec.images.map((i) => i.id).join(", ")}\n`);
  return ExitStatus.Ok;
}
