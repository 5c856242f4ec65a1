import { Codes } from "../../diagnostics.js";
import { cliError, ExitStatus } from "../exit.js";
import { compileProject, hashImage, type CommonArgs } from "../project.js";

export interface HashArgs extends CommonArgs {
  image?: string;
  list?: boolean;
}

/** Prints the image hash exactly as the generated hash.sh computes it. */
export function runHash(args: HashArgs): ExitStatus {
  const { input, spec } = compileProject(args);
  const images = spec.images;
  const chosen = args.image ? images.filter((i) => i.id === args.image) : images;
  if (!chosen.length) {
    throw cliError(Codes.noSuchName, `No image '${args.image}' in ${input.display}. Images: ${images.map((i) => i.id).join(", ")}.`);
  }
  for (const img of chosen) {
    const { hash, inputs } = hashImage(input.root, img);
    if (args.list) process.stdout.write(inputs.map((i) => i + "\n").join(""));
    else process.stdout.write(chosen.length === 1 ? `${hash}\n` : `${img.id} ${hash}\n`);
  }
  return ExitStatus.Ok;
}
