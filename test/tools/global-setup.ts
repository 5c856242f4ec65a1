import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureFreshBuild } from "../build-fresh.js";
import { ROOT } from "../helpers.js";

/**
 * The tools tests need shellcheck, zstd, git, java and pre-commit (installed when missing) and the
 * CLI built (some run bin/gen-circle.js); never an engine.
 */
export default function setup(): void {
  ensureFreshBuild();
  const r = spawnSync("bash", [join(ROOT, "test/infra/setup-test-env.sh"), "--tools"], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`Installing the tools tests' tools failed:\n${r.stderr}\nRun 'sudo bash test/infra/setup-test-env.sh --tools' and try again.`);
}
