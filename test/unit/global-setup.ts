import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureFreshBuild } from "../build-fresh.js";
import { ROOT } from "../helpers.js";

/** The unit tests need shellcheck, zstd and git (installed when missing); never an engine. */
export default function setup(): void {
  ensureFreshBuild();
  const r = spawnSync("bash", [join(ROOT, "scripts/setup-test-env.sh"), "--tools"], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "pipe"],
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`Installing the unit tests' tools failed:\n${r.stderr}\nRun 'sudo bash scripts/setup-test-env.sh --tools' and try again.`);
}
