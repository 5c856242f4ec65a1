import { type Code, Codes, formatCliError } from "../diagnostics.js";

/** Exit codes, in one place. `process.exit` is called once, in main.ts. */
export enum ExitStatus {
  Ok = 0,
  /** check found drift, a hand edit, a missing or orphan file; a refused write; a failed run */
  Failed = 1,
  /** invalid input or usage */
  InvalidInput = 2,
  /** a bug of gen-circle (an exception it did not expect): please report it */
  InternalError = 70,
  /** stopped by Ctrl-C (128 + SIGINT) */
  Interrupted = 130,
}

/** An expected failure: its message is for the user, with no stack trace. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly status: ExitStatus,
  ) {
    super(message);
  }
}

/**
 * The exit status of a command-line code, decided by the code alone: one code exits the same
 * whichever command reports it. A refused write (the file exists, or was edited by hand) is 1,
 * like check's drift; every other command-line mistake is 2.
 */
const failedCodes: ReadonlySet<Code> = new Set([Codes.wouldOverwrite]);
export const exitStatusOf = (code: Code): ExitStatus => (failedCodes.has(code) ? ExitStatus.Failed : ExitStatus.InvalidInput);

/** A mistake on the command line, with its code from the diagnostics table (its exit status: exitStatusOf). */
export function cliError(code: Code, message: string): ExitError {
  return new ExitError(formatCliError(code, message), exitStatusOf(code));
}
