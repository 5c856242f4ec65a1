import type { Instruction } from "../dockerfile/inputs.js";

/**
 * `gen-circle init`: what a repository tells about its pipeline. Pure: it sees the repository
 * only through `files` (paths) and `read` (contents), given by the CLI.
 */
export interface RepoView {
  /** Repository folder name, for a default image name. */
  name: string;
  files: readonly string[];
  read(path: string): string | undefined;
}

/** Where in the spec a TODO goes: keys and list indexes from the top (`["services", "db"]`, `["test", "command"]`). */
export type SpecPath = readonly (string | number)[];

/** A guess init is not sure of: written into the spec as a `# TODO:` comment above `at`, and listed. */
export interface Todo {
  at: SpecPath;
  text: string;
}

/** Init's report: what it found, what it guessed (for the user to check), and what to check in the spec. */
export interface Notes {
  found: string[];
  guessed: string[];
  todo: Todo[];
}

/** A path in a folder of the repository (`.` is its root). */
export const inFolder = (folder: string, path: string): string => (folder === "." ? path : `${folder}/${path}`);

/** The last instruction of a kind: the one in effect in the final stage (WORKDIR, CMD, FROM). */
export const lastInstruction = (instructions: readonly Instruction[], op: string): Instruction | undefined =>
  [...instructions].reverse().find((i) => i.op === op);
