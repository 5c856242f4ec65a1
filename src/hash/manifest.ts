import { createHash } from "node:crypto";
import type { Image } from "../spec/types.js";
import { inputMatcher } from "./glob.js";

/**
 * The image hash, defined once here and mirrored by templates/scripts/hash.sh.hbs:
 *   sha256 of "gen-circle-hash v1\n" + salt + "\n" + one line "<sha256(content)>  <path>\n" per
 *   input file (paths sorted bytewise, as `LC_ALL=C sort`), cut to 16 hex digits.
 * The salt holds the build settings that change the image without changing a file.
 * Globs follow bash's globstar+dotglob rules; a folder stands for every file below it; symlinks
 * and anything under .git are ignored on both sides.
 */
export const HASH_LENGTH = 16;

export function hashSalt(img: Image): string {
  const lines = [`build context=${img.context} dockerfile=${img.dockerfile} target=${img.target ?? ""}`];
  for (const [k, v] of img.buildArgs) lines.push(`arg ${k}=${v}`);
  return lines.join("\n");
}

/** The input files of an image among `files` (the repository's regular files, '/'-separated). */
export function selectInputs(patterns: readonly string[], files: readonly string[]): string[] {
  const matchers = patterns.map(inputMatcher);
  return files.filter((f) => matchers.some((m) => m(f))).sort(compareBytes);
}

export function manifest(salt: string, inputs: readonly { path: string; sha256: string }[]): string {
  let out = `gen-circle-hash v1\n${salt}\n`;
  for (const i of inputs) out += `${i.sha256}  ${i.path}\n`;
  return out;
}

export function hashOf(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

export function imageHash(salt: string, inputs: readonly { path: string; sha256: string }[]): string {
  return hashOf(manifest(salt, inputs)).slice(0, HASH_LENGTH);
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
