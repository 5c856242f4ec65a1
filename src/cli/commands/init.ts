import { ExitStatus } from "../exit.js";
export function runInit(_a: { dir?: string; force?: boolean }): ExitStatus {
  return ExitStatus.Failed;
}
