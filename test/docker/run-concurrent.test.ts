import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli, ROOT, run } from "../helpers.js";
import { ENGINE_PATH, REGISTRY_PATH, TEST_TMP } from "./engine.js";
import { record, registryTags, writeRows } from "./fault-proxy.js";
import { removeImages } from "./project.js";

// Two pipelines at once, as two pushes of different branches make them: two `gen-circle run`s
// side by side, sharing one cache folder and one registry. Both finish green, neither reads a
// half-written cache entry, the cache keeps the first save of a key (CircleCI's rule), and the
// registry holds what each pushed.
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const image = `localhost:5000/${REGISTRY_PATH}/concurrent-${RUN}/app`;
const dir = mkdtempSync(join(TEST_TMP, "gc-it-concurrent-"));
const out = mkdtempSync(join(TEST_TMP, "gc-it-concurrent-out-"));
const git = (...a: string[]) => run("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...a], { cwd: dir });

beforeAll(() => {
  cpSync(join(ROOT, "examples/demo"), dir, { recursive: true, filter: (s) => !/\/(\.circleci|gen-circle\.yml|test-results)$/.test(s) });
  writeFileSync(join(dir, "requirements.txt"), `webframework 6\norm 4\n# concurrent-${RUN}\n`);
  writeFileSync(
    join(dir, "gen-circle.yml"),
    stringify({
      version: 1,
      image: { name: image, hash: ["Dockerfile", "requirements.txt"], build_args: { INSTALL_SECONDS: "1" } },
      services: {
        kv: { image: "gen-circle-test/httpd:latest", ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello", setup: "echo seeded > /www/seeded" },
        db: { image: "gen-circle-test/httpd:latest", ready: "wget -q -O /dev/null http://127.0.0.1:8080/hello" },
      },
      test: { command: "sh /app/tests/run.sh", environment: { DATABASE_URL: "http://db:8080", RESULTS: "/results" }, results: "/results" },
      deploy: { registry: "127.0.0.1:5000", rules: [{ branch: "/.*/", tags: ["{branch}"] }] },
    }),
  );
  expect(cli(["generate"], dir).status).toBe(0);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "pipeline");
});
afterAll(() => {
  writeRows("concurrent");
  removeImages(image);
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

/** `gen-circle run` in the background (both at once), its output and status when it ends. */
const gcRun = (branch: string) =>
  new Promise<{ status: number | null; stdout: string }>((done) => {
    const child = spawn(process.execPath, [CLI, "run", "--branch", branch, "--cache-dir", join(out, "cache"), "--output", join(out, `run-${branch}`)], {
      cwd: dir,
      env: { ...process.env, PATH: ENGINE_PATH, EXPECTED_MARKER: "release-1" },
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stdout += d));
    child.on("close", (status) => done({ status, stdout }));
  });

describe("two pipelines at once", () => {
  it("two branches side by side, one cache folder and registry: both green, one save of each key, each branch's tag pushed", async () => {
    const [main, dev] = await Promise.all([gcRun("main"), gcRun("dev")]);
    expect(main.status, main.stdout).toBe(0);
    expect(dev.status, dev.stdout).toBe(0);
    // The cache: whole entries only (no partial folder), each key once, with what its save held.
    const cache = join(out, "cache");
    const entries = readdirSync(cache);
    expect(entries.filter((e) => e.includes(".partial"))).toEqual([]);
    const keys = entries
      .filter((e) => existsSync(join(cache, e, "meta.json")))
      .map((e) => JSON.parse(readFileSync(join(cache, e, "meta.json"), "utf8")) as { key: string; bytes: number });
    expect(new Set(keys.map((k) => k.key)).size).toBe(keys.length);
    const archive = keys.filter((k) => /^gen-circle-v1-app-/.test(k.key));
    expect(archive).toHaveLength(1);
    expect(archive[0]!.bytes).toBeGreaterThan(1000);
    // Both saved it, or one found it there: never both saved.
    const saves = [main, dev].map((r) => /Save app image archive .*: saved /.test(r.stdout));
    expect(saves.filter(Boolean)).toHaveLength(1);
    expect(await registryTags(image.replace(/^localhost:5000\//, ""))).toEqual(expect.arrayContaining(["main", "dev"]));
    // A third run restores that entry whole: a hit, no rebuild.
    removeImages(image);
    const third = await gcRun("main");
    expect(third.status, third.stdout).toBe(0);
    expect(third.stdout).toContain("cache hit");
    record({
      fault: "two pipelines at once (main and dev), one cache folder and registry",
      outcome: "green",
      said: "Save app image archive: saved, once; skipped: exists, in the other run",
      refused: 0,
      retried: 0,
      lost: "nothing (both tags pushed, one whole cache entry per key)",
    });
  });
});
