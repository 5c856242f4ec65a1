import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec, generate, type GenerateResult } from "../generate.js";
import { inputMatcher, staticBase } from "../hash/glob.js";
import { imageHash, hashSalt, selectInputs } from "../hash/manifest.js";
import { globMatchesAny } from "../spec/normalize.js";
import type { Image, Spec } from "../spec/types.js";
import { ExitError, ExitStatus } from "./exit.js";
import { readSpec, walkFiles, type SpecInput } from "./fs.js";
import { printDiagnostics } from "./render.js";

export interface CommonArgs {
  spec?: string;
  dir?: string;
  json?: boolean;
}

/** How the core sees the repository: only through this question, asked by the CLI. */
export function specOptions(input: SpecInput) {
  return {
    fileName: input.display,
    specPath: input.fromRoot,
    matchesFiles: (pattern: string) => globMatchesAny(pattern, walkFiles(input.root, staticBase(pattern))),
    readFile: (path: string) => {
      try {
        return readFileSync(join(input.root, path), "utf8");
      } catch {
        return undefined; // not there (reported as GC1029) or not a file
      }
    },
    listFiles: (pattern: string) => walkFiles(input.root, staticBase(pattern)).filter(inputMatcher(pattern)),
  };
}

/**
 * Reads the spec and generates in memory; invalid input ends with exit 2 and nothing written.
 * `keepWarnings`: a valid spec's warnings are left in the result for the caller to print (check
 * prints them with its own findings, as one JSON document).
 */
export async function generateProject(args: CommonArgs, keepWarnings = false): Promise<{ input: SpecInput; result: GenerateResult }> {
  const input = readSpec(args.dir, args.spec);
  const result = await generate(input.text, specOptions(input));
  if (result.diagnostics.length && !(keepWarnings && result.spec)) printDiagnostics(result.diagnostics, !!args.json);
  if (!result.spec) throw new ExitError("", ExitStatus.InvalidInput);
  return { input, result };
}

/** Reads and validates the spec only. */
export function compileProject(args: CommonArgs): { input: SpecInput; spec: Spec } {
  const input = readSpec(args.dir, args.spec);
  const { spec, diagnostics } = compileSpec(input.text, specOptions(input));
  if (diagnostics.length) printDiagnostics(diagnostics, !!args.json);
  if (!spec) throw new ExitError("", ExitStatus.InvalidInput);
  return { input, spec };
}

/** The image hash as hash.sh computes it, from the files on disk. */
export function hashImage(root: string, img: Image): { hash: string; inputs: string[] } {
  const files = [...new Set(img.hash.flatMap((p) => walkFiles(root, staticBase(p))))];
  const inputs = selectInputs(img.hash, files);
  const hashed = inputs.map((path) => ({
    path,
    sha256: createHash("sha256")
      .update(readFileSync(join(root, path)))
      .digest("hex"),
  }));
  return { hash: imageHash(hashSalt(img), hashed), inputs };
}
