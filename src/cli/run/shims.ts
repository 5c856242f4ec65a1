import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";

// The tools CircleCI puts on a job's PATH, as far as steps use them, in the job's bin folder.

/**
 * `circleci` on the job's PATH: `tests glob` and `tests split` by this CLI (hidden command
 * `__circleci`), with the node's CIRCLE_NODE_INDEX/TOTAL and the job's stored timings.
 */
export function circleciShim(jobDir: string, timingsFile: string): void {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  writeFileSync(
    join(jobDir, "bin", "circleci"),
    `#!/bin/sh
# gen-circle run: CircleCI's 'circleci tests glob|split' for this job's steps.
` +
      `GEN_CIRCLE_TIMINGS=${q(timingsFile)} exec ${q(process.execPath)} ${q(join(packageRoot()?.dir ?? ".", "bin/gen-circle.js"))} __circleci "$@"
`,
    { mode: 0o755 },
  );
}

/** CircleCI's agent as far as steps use it (`circleci-agent step halt`); returns the halt file. */
export function agentShim(jobDir: string): string {
  const halt = join(jobDir, "halted");
  mkdirSync(join(jobDir, "bin"), { recursive: true });
  const shim = join(jobDir, "bin", "circleci-agent");
  writeFileSync(
    shim,
    `#!/bin/sh\n# gen-circle run: CircleCI's agent, as far as job steps use it.\n` +
      `if [ "$#" = 2 ] && [ "$1" = step ] && [ "$2" = halt ]; then : >'${halt.replace(/'/g, "'\\''")}'; exit 0; fi\n` +
      `echo "circleci-agent $*: gen-circle run knows only 'circleci-agent step halt'" >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  return halt;
}
