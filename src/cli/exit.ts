import { type Code, formatCliError } from "../diagnostics.js";

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

/** A mistake on the command line, with its code from the diagnostics table (exit 2 unless said). */
export function cliError(code: Code, message: string, status: ExitStatus = ExitStatus.InvalidInput): ExitError {
  return new ExitError(formatCliError(code, message), status);
}
