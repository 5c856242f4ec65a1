import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

/**
 * Installs and starts what the Docker tests need (scripts/setup-test-env.sh). When that fails the
 * run fails, loudly: these tests never skip for want of an engine.
 */
export default function setup(): void {
  const r = spawnSync("bash", [join(ROOT, "scripts/setup-test-env.sh")], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"], timeout: 600_000 });
  if (r.status !== 0) {
    throw new Error(
      `The Docker tests need a Docker engine and local registries, and setting them up failed:\n${r.stderr}\n` +
        "Run 'sudo bash scripts/setup-test-env.sh' (Debian: installs docker.io, docker-registry, shellcheck, busybox-static, apache2-utils) and try again.",
    );
  }
}
