import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildInputsHash } from "../scripts/build-inputs.mjs";
import { ROOT } from "./helpers.js";

/**
 * Rebuilds the generated code and the bundle when they are not from the sources as they are now:
 * the fixture tests import the precompiled templates and the CLI tests run dist/, so a stale build
 * would test old code. After `npm test`'s own build this is a hash and no more.
 */
export function ensureFreshBuild(): void {
  const stamp = join(ROOT, "dist/.inputs");
  const want = buildInputsHash();
  if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === want) return;
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/build.mjs"), "--no-dts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  if (r.status !== 0) throw new Error(`The build failed, so the tests would run stale code:\n${r.stderr}`);
}
