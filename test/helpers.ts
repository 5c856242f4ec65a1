import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = join(ROOT, "bin/gen-circle.js");
export const FIXTURES = join(ROOT, "test/fixtures");
export const SHARED = join(ROOT, "../shared");

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Run {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return { status: r.status ?? (r.signal ? 128 : 1), stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  return run(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } });
}

const tmpTrees: string[] = [];
/**
 * A temporary folder holding `files` (path → content; a trailing '*' in the key makes it
 * executable). Removed after the test file (test/cleanup.ts, a setup file of every project).
 */
export function tmpTree(files: Record<string, string> = {}, prefix = "gen-circle-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tmpTrees.push(dir);
  writeTree(dir, files);
  return dir;
}

/** Removes every folder tmpTree made in this test file. */
export function removeTmpTrees(): void {
  for (const dir of tmpTrees.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [key, content] of Object.entries(files)) {
    const exec = key.endsWith("*");
    const path = join(dir, exec ? key.slice(0, -1) : key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    if (exec) chmodSync(path, 0o755);
  }
}

export function readTree(dir: string, base = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, readTree(dir, rel));
    else out[rel] = readFileSync(join(dir, rel), "utf8");
  }
  return out;
}

export function fixtureCases(): { name: string; dir: string; spec: string }[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "migrate")
    .map((e) => ({ name: e.name, dir: join(FIXTURES, e.name), spec: readFileSync(join(FIXTURES, e.name, "gen-circle.yml"), "utf8") }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A `docker` for PATH that records each call (DOCKER_LOG) and answers like one that has everything. */
export const fakeDocker = `#!/usr/bin/env bash
# Records each call, one line of base64 arguments (each after a dot, so that an empty one is seen);
# answers like a docker that has everything.
line=
for a in "$@"; do line+="$(printf '.%s' "$a" | base64 -w0) "; done
printf '%s\\n' "$line" >>"$DOCKER_LOG"
case "$1" in
  inspect) echo true ;;
  load) cat >/dev/null ;;
  save) while [ $# -gt 0 ]; do if [ "$1" = -o ]; then : >"$2"; fi; shift; done ;;
esac
exit 0
`;

/** The calls a fakeDocker recorded, as argument vectors. */
export function calls(log: string): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) =>
      l
        .trim()
        .split(" ")
        .filter(Boolean)
        .map((b) => Buffer.from(b, "base64").toString("utf8").slice(1)),
    );
}
