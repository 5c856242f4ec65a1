import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";

// A setup file of the unit project: a unit test starts no process. Every way to start one throws,
// saying where such a test belongs (test/cli: the CLI; test/tools: bash, shellcheck and the like).
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
  (childProcess as unknown as Record<string, unknown>)[name] = () => {
    throw new Error(`a unit test starts no process (child_process.${name}): move the test to test/cli or test/tools`);
  };
}
// The named imports (import { spawnSync } from "node:child_process") follow the module's object.
syncBuiltinESMExports();
