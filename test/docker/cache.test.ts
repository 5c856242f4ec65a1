import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cli, run } from "../helpers.js";
import { DOCKER, docker, ENGINE_PATH } from "./engine.js";
import { archiveOk, ENGINE, EXT, leftovers, Project, TRANSPORT } from "./project.js";

// DESIGN promises 1-5 on a real engine, by running the generated scripts as CircleCI's jobs do:
// build job = image.sh key, image.sh warm; test job = image.sh key, image.sh ready, test.sh run.
// On each engine of the matrix (GEN_CIRCLE_TEST_ENGINE), with the transport it supports.
// The dependency step's own output (not its command line, which the classic builder echoes).
const INSTALL = /(^|\s)demo: installing dependencies$/m;
let p: Project;
beforeAll(() => {
  p = new Project({ name: "cache" });
});
afterAll(() => p.cleanup());

const buildJob = () => {
  const h = p.script("image.sh", ["key", "app"]);
  expect(h.status, h.stderr).toBe(0);
  const w = p.script("image.sh", ["warm", "app"]);
  expect(w.status, w.stdout + w.stderr).toBe(0);
  return w;
};
const testJob = (env: Record<string, string> = {}) => {
  const k = p.script("image.sh", ["key", "app"], env);
  expect(k.status, k.stderr).toBe(0);
  const ready = p.script("image.sh", ["ready", "app"]);
  expect(ready.status, ready.stdout + ready.stderr).toBe(0);
  const t = p.script("test.sh", ["run", "app"], env);
  return { ready, t };
};

const ok = (r: { status: number; stdout: string; stderr: string }) => expect(r.status, r.stdout + r.stderr).toBe(0);
const hashOf = () => /^hash (\w+)$/m.exec(readFileSync(join(p.state, "hash/app"), "utf8"))![1]!;
const archiveName = (hash: string) => `${hash}.${TRANSPORT}.${EXT}`;
// What one save leaves: the archive, and with BuildKit's transport its cache records beside it.
const recordsName = (hash: string) => `${hash}.buildkit.cache.tar`;
const archiveFiles = (hash: string) => (TRANSPORT === "buildkit" ? [recordsName(hash), archiveName(hash)] : [archiveName(hash)]);

describe(`save-load cache on ${ENGINE}`, () => {
  it("1. hash: the CLI and hash.sh agree; inputs change it, other files do not", () => {
    const cliHash = () => cli(["hash"], p.dir).stdout.trim();
    const scriptHash = () => p.script("hash.sh", ["app"]).stdout.trim();
    const h1 = cliHash();
    expect(scriptHash()).toBe(h1);
    p.write("src/app.sh", readFileSync(join(p.dir, "src/app.sh"), "utf8") + "# code change\n");
    expect(cliHash()).toBe(h1);
    expect(scriptHash()).toBe(h1);
    const req = readFileSync(join(p.dir, "requirements.txt"), "utf8");
    p.write("requirements.txt", req + "extra 1\n");
    expect(cliHash()).not.toBe(h1);
    expect(scriptHash()).toBe(cliHash());
    p.write("requirements.txt", req);
    expect(cliHash()).toBe(h1);
  });

  it(`2. cold: builds, tests pass, saves one compressed archive (${EXT}) atomically`, () => {
    const w = buildJob();
    expect(w.stdout + w.stderr).toMatch(INSTALL);
    // The key file: the hash and the transport the engine supports, found out by the script.
    const hash = hashOf();
    expect(readFileSync(join(p.state, "hash/app"), "utf8")).toBe(`hash ${hash}\ntransport ${TRANSPORT}\n`);
    expect(p.cacheFiles()).toEqual(archiveFiles(hash));
    expect(archiveOk(join(p.state, "cache/app", archiveName(hash)))).toBe(true);
    if (TRANSPORT === "buildkit") {
      // The records hold no layer the image holds: a few KB beside an archive of the whole image.
      const records = statSync(join(p.state, "cache/app", recordsName(hash))).size;
      expect(records).toBeLessThan(1 << 20);
      expect(records * 4).toBeLessThan(statSync(join(p.state, "cache/app", archiveName(hash))).size);
    }
    const { t } = testJob();
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(readFileSync(join(p.dir, "test-results/app/junit.xml"), "utf8")).toMatch(/tests="7" failures="0"/);
  });

  it("3. warm, on a fresh engine: loads, rebuilds no dependency layer, saves nothing", () => {
    const archive = join(p.state, "cache/app", archiveName(hashOf()));
    const before = statSync(archive).mtimeMs;
    p.freshEngine();
    p.newCommit();
    const w = buildJob();
    expect(w.stderr).toContain("cache hit");
    expect(w.stdout + w.stderr).not.toMatch(INSTALL);
    const { ready, t } = testJob();
    expect(ready.stderr).toMatch(/restored .* as /);
    expect(ready.stdout + ready.stderr).not.toContain("warning:");
    expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(statSync(archive).mtimeMs).toBe(before);
    expect(p.cacheFiles()).toEqual(archiveFiles(hashOf()));
  });

  it("4. code-only change: cached dependency layers, and the tests see the new code", () => {
    p.freshEngine();
    p.newCommit();
    p.write("src/marker", "release-2\n");
    const w = buildJob();
    expect(w.stderr).toContain("cache hit");
    const { ready, t } = testJob({ EXPECTED_MARKER: "release-2" });
    expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toContain("ok   code-is-current");
  });

  it("5. dependency change: new hash, rebuild, new archive replaces the old", () => {
    const old = p.cacheFiles();
    p.newCommit();
    p.write("requirements.txt", readFileSync(join(p.dir, "requirements.txt"), "utf8") + "newlib 1\n");
    const w = buildJob();
    expect(w.stdout + w.stderr).toMatch(INSTALL);
    const files = p.cacheFiles();
    expect(files).toEqual(archiveFiles(hashOf()));
    expect(files).not.toEqual(old);
    const { t } = testJob({ EXPECTED_MARKER: "release-2" });
    expect(t.status, t.stdout + t.stderr).toBe(0);
  });

  describe("6. faults degrade to a rebuild, never a red build", () => {
    const archive = () =>
      join(
        p.state,
        "cache/app",
        p.cacheFiles().find((f) => f.endsWith(EXT))!,
      );

    it("corrupt archive", () => {
      p.freshEngine();
      writeFileSync(archive(), "this is not a compressed archive\n".repeat(100));
      const { ready, t } = testJob({ EXPECTED_MARKER: "release-2" });
      expect(ready.stderr).toMatch(/warning: cached archive .* is corrupt, truncated/);
      expect(t.status, t.stdout + t.stderr).toBe(0);
    });

    it("truncated archive", () => {
      p.freshEngine();
      buildJob(); // the corrupt one was removed: rebuild and save a good one
      expect(archiveOk(archive())).toBe(true);
      p.freshEngine();
      truncateSync(archive(), Math.floor(statSync(archive()).size / 2));
      const { ready, t } = testJob({ EXPECTED_MARKER: "release-2" });
      expect(ready.stderr).toMatch(/corrupt, truncated/);
      expect(t.status, t.stdout + t.stderr).toBe(0);
    });

    it("missing cache folder", () => {
      p.freshEngine();
      const r = p.script("image.sh", ["ready", "app"], { GEN_CIRCLE_STATE: join(p.dir, "no-such-state") });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain("cache miss for hash"); // a miss is a build, not a failure
    });

    it("docker save killed half-way leaves no archive a later job would trust", async () => {
      p.freshEngine();
      for (const f of p.cacheFiles()) writeFileSync(join(p.state, "cache/app", f), ""); // force a save
      // A compressor that starts half a second late (then is the real one): the save is surely
      // under way when the job is killed, however fast this machine is.
      const slow = join(p.state, "slow-bin");
      mkdirSync(slow, { recursive: true });
      for (const tool of ["zstd", "gzip", "pigz"].filter((t) => existsSync(`/usr/bin/${t}`))) {
        writeFileSync(join(slow, tool), `#!/bin/sh\nsleep 0.5\nexec /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
      }
      const child = p.spawnScript("image.sh", ["warm", "app"], { PATH: `${slow}:${ENGINE_PATH}` });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const partial = await new Promise<boolean>((resolve) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (p.cacheFiles().some((f) => f.includes(".partial."))) {
            clearInterval(poll);
            process.kill(-child.pid!, "SIGKILL");
            resolve(true);
          } else if (Date.now() - started > 120_000) {
            clearInterval(poll);
            resolve(false);
          }
        }, 20);
      });
      expect(partial, stderr).toBe(true);
      await new Promise((r) => child.on("exit", r));
      const hash = hashOf();
      expect(p.cacheFiles().filter((f) => f === archiveName(hash) && statSync(join(p.state, "cache/app", f)).size > 0)).toEqual([]);
      // The next job does not trust the partial file: it rebuilds and saves a whole archive.
      const w = p.script("image.sh", ["warm", "app"]);
      expect(w.status, w.stderr).toBe(0);
      expect(p.cacheFiles()).toEqual(archiveFiles(hash));
      expect(archiveOk(join(p.state, "cache/app", archiveName(hash)))).toBe(true);
    });

    if (TRANSPORT === "buildkit") {
      it("an archive without its BuildKit cache records is not trusted: a miss and a rebuild that saves both", () => {
        p.freshEngine();
        const hash = hashOf();
        rmSync(join(p.state, "cache/app", recordsName(hash)));
        const w = p.script("image.sh", ["warm", "app"]);
        expect(w.status, w.stderr).toBe(0);
        expect(w.stdout + w.stderr).toMatch(INSTALL);
        expect(p.cacheFiles()).toEqual(archiveFiles(hash));
        p.freshEngine();
        const { ready, t } = testJob({ EXPECTED_MARKER: "release-2" });
        expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
        expect(t.status, t.stdout + t.stderr).toBe(0);
      });
    }
  });

  it("a renamed image: the archive under its old name still serves as the cache", () => {
    p.freshEngine();
    const spec = parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8"));
    spec.image.name = p.image.replace(/^localhost:5000\//, "127.0.0.1:5000/");
    p.writeSpec(spec);
    p.newCommit();
    const { ready, t } = testJob({ EXPECTED_MARKER: "release-2" });
    // The image transport loads the image under its old name; BuildKit's cache has no name at all.
    const source = TRANSPORT === "image" ? `${p.image}:cache-` : "type=local,src=";
    expect(ready.stderr).toContain(` as ${source}`);
    expect(ready.stderr).toContain(`reusing layers of ${source}`);
    expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
    expect(t.status, t.stdout + t.stderr).toBe(0);
  });

  it("7. a cache that was restored but not used by the build is a warning, not silence", () => {
    // Made real on each engine: a restored cache its builder cannot use. On the containerd store,
    // the docker save/load transport (what gen-circle did before: --cache-from IMAGE is a registry
    // reference there); elsewhere BuildKit and an archived image without inline cache metadata.
    p.freshEngine();
    p.newCommit();
    const env: Record<string, string> = ENGINE === "docker-28-containerd" ? { GEN_CIRCLE_CACHE_TRANSPORT: "image" } : { DOCKER_BUILDKIT: "1" };
    ok(p.script("image.sh", ["key", "app"], env));
    const hash = hashOf();
    const file = join(p.state, "cache/app", `${hash}.image.${EXT}`);
    if (ENGINE === "docker-28-containerd") {
      ok(p.script("image.sh", ["warm", "app"], env));
    } else {
      const tag = `${p.image}:cache-${hash}`;
      ok(
        run(
          "bash",
          [
            "-c",
            `docker build -q -t "$1" --build-arg INSTALL_SECONDS=1 "$2" && docker save "$1" | ${EXT.endsWith("zst") ? "zstd -q" : "gzip"} > "$3"`,
            "-",
            tag,
            p.dir,
            file,
          ],
          { env: { ...process.env, ...p.env, DOCKER_BUILDKIT: "1" } },
        ),
      );
    }
    expect(archiveOk(file)).toBe(true);
    p.freshEngine();
    const ready = p.script("image.sh", ["ready", "app"], env);
    ok(ready);
    expect(ready.stderr).toContain(`restored ${file} as`);
    expect(ready.stdout + ready.stderr).toMatch(INSTALL);
    expect(ready.stderr).toMatch(
      new RegExp(
        `gen-circle: warning: the cache for hash ${hash} was restored \\(.*\\), but the build used none of it: every step ran again on this engine \\(Docker`,
      ),
    );
    // A restored cache that the build did use says nothing (test 3 holds that on every engine).
  });

  it("8. buildx by its own path where docker is the CLI itself, through docker where docker is a wrapper script; no provenance unless asked", () => {
    // Test 7 left an archive no builder here can use: a cache of this build's own first.
    rmSync(join(p.state, "cache/app"), { recursive: true, force: true });
    p.freshEngine();
    p.newCommit();
    const key = p.script("image.sh", ["key", "app"]);
    ok(key);
    // The Docker 28 lanes' buildx is the plugin in DOCKER_CONFIG (test/docker/engine.ts).
    const buildx = join(process.env.DOCKER_CONFIG!, "cli-plugins/docker-buildx");
    if (ENGINE === "debian-20.10") expect(key.stderr).not.toContain("buildx run as");
    else expect(key.stderr).toContain(`buildx run as ${buildx};`);
    // Asked over the engine's API socket (DOCKER_HOST is unix:// here), with the same answer that
    // docker info gives: the key, the engine and whether the cache image is there.
    const socket = process.env.DOCKER_HOST?.replace(/^unix:\/\//, "") || "/var/run/docker.sock";
    expect(key.stderr).toContain(`asked the API socket ${socket})`);
    const answers = () => ["", ".engine", ".present"].map((f) => readFileSync(join(p.state, `hash/app${f}`), "utf8"));
    const viaApi = answers();
    const info = p.script("image.sh", ["key", "app"], { GEN_CIRCLE_ENGINE_API: "0" });
    ok(info);
    expect(info.stderr).toContain("asked docker info)");
    expect(answers()).toEqual(viaApi);
    expect(viaApi[2]).toMatch(/ no\n$/); // a fresh engine: the cache image is not there
    // TLS settings in the environment (remote docker over tcp), which buildx run by itself ignores:
    // docker runs it. (DOCKER_CERT_PATH alone turns no TLS on for docker here.)
    const tls = p.script("image.sh", ["key", "app"], { DOCKER_CERT_PATH: join(p.state, "no-certs") });
    ok(tls);
    expect(tls.stderr).not.toContain("buildx run as");
    expect(tls.stderr).toContain("asked docker info)");
    ok(p.script("image.sh", ["key", "app"]));
    ok(p.script("image.sh", ["warm", "app"]));
    // Now it is (warm tagged it): both ways say so.
    const present = () => readFileSync(join(p.state, "hash/app.present"), "utf8");
    ok(p.script("image.sh", ["key", "app"]));
    expect(present()).toMatch(/ yes\n$/);
    ok(p.script("image.sh", ["key", "app"], { GEN_CIRCLE_ENGINE_API: "0" }));
    expect(present()).toMatch(/ yes\n$/);

    // A script named docker first on PATH (it may add flags buildx would not see): docker runs buildx.
    const bin = join(p.state, "wrapper-bin");
    const calls = join(p.state, "wrapper-calls");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "docker"), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${DOCKER}' "$@"\n`, { mode: 0o755 });
    const wrapped = { PATH: `${bin}:${ENGINE_PATH}` };
    p.freshEngine();
    p.newCommit();
    const k2 = p.script("image.sh", ["key", "app"], wrapped);
    ok(k2);
    expect(k2.stderr).not.toContain("buildx run as");
    expect(k2.stderr).toContain("asked docker info)");
    const ready = p.script("image.sh", ["ready", "app"], wrapped);
    ok(ready);
    expect(ready.stdout + ready.stderr).not.toMatch(INSTALL);
    expect(ready.stderr).not.toContain("warning:");
    const builds = readFileSync(calls, "utf8")
      .split("\n")
      .filter((l) => / build /.test(` ${l} `));
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatch(ENGINE === "debian-20.10" ? /^build / : /^buildx build --load /);

    if (ENGINE === "docker-28-containerd") {
      // (The image's name as the spec has it now: test 6 renamed it.)
      const spec = () => parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8"));
      // The containerd store holds attestations: an image index with one, a plain manifest without.
      const mediaType = () => {
        const r = docker("image", "inspect", "--format", "{{.Descriptor.MediaType}}", `${spec().image.name}:ci-${p.env.CIRCLE_SHA1}`);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout.trim();
      };
      expect(mediaType()).not.toMatch(/index/);
      p.writeSpec({
        ...parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8")),
        image: { ...parse(readFileSync(join(p.dir, "gen-circle.yml"), "utf8")).image, provenance: true },
      });
      p.newCommit();
      ok(p.script("image.sh", ["key", "app"]));
      // Asked for in the spec, it is there even where the CI sets BuildKit's opt-out for all builds.
      const withProvenance = p.script("image.sh", ["ready", "app"], { BUILDX_NO_DEFAULT_ATTESTATIONS: "1" });
      ok(withProvenance);
      expect(withProvenance.stdout + withProvenance.stderr).not.toMatch(INSTALL);
      expect(mediaType()).toBe("application/vnd.oci.image.index.v1+json");
    }
  });

  it("leaves no containers or networks behind", () => {
    expect(leftovers("gc-app-")).toEqual({ containers: [], networks: [] });
  });
});
