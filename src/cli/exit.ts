/** Exit codes, in one place. `process.exit` is called once, in main.ts. */
export enum ExitStatus {
  Ok = 0,
  /** check found drift, a hand edit, a missing or orphan file; a refused write; a failed run */
  Failed = 1,
  /** invalid input or usage */
  InvalidInput = 2,
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
