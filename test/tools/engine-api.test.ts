import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run } from "../helpers.js";

// lib.sh asks the engine over its API socket (curl) instead of docker info only where the docker
// on PATH would ask that socket too; elsewhere docker info answers. The Docker lanes hold that
// both give the same answer on real engines (cache.test.ts, test 8); here, which settings allow
// it, and how /info is read, against a stand-in for the API on a socket of this test's own.
const LIB = join(ROOT, "examples/demo/.circleci/gen-circle/lib.sh");
let dir: string;
let sock: string;
let server: Server;
let info: object;
beforeAll(async () => {
  dir = mkdtempSync("/var/tmp/gc-engine-api-");
  sock = join(dir, "docker.sock");
  // docker on PATH: a program (a link to one), not a script.
  mkdirSync(join(dir, "bin"));
  symlinkSync("/bin/true", join(dir, "bin/docker"));
  server = createServer((req, res) => {
    if (req.url === "/info") res.end(JSON.stringify(info));
    else if (req.url === "/images/app:cache-1/json") res.end("{}");
    else res.writeHead(404).end("{}");
  });
  await new Promise<void>((done) => server.listen(sock, done));
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

const base = () => ({ PATH: `${join(dir, "bin")}:/usr/bin:/bin`, HOME: join(dir, "home"), DOCKER_HOST: `unix://${sock}` });
const socketOf = (env: Record<string, string>) => run("bash", ["-c", '. "$1"; gc_api_socket', "_", LIB], { env: { ...base(), ...env } });
// gc_engine in a shell of its own (the test's server answers meanwhile): what it found, and how.
const engine = async (env: Record<string, string> = {}) => {
  const { stdout } = await promisify(execFile)(
    "bash",
    ["-c", '. "$1"; gc_engine; printf "%s|%s|%s|%s" "$GC_TRANSPORT" "$GC_ENGINE" "$GC_BUILDX" "$GC_ASKED"', "_", LIB],
    { env: { ...base(), ...env } },
  );
  const [transport, name, buildx, asked] = stdout.split("|");
  return { transport, name, buildx, asked };
};

describe("lib.sh: the engine asked over its API socket where docker would ask that socket", () => {
  it("DOCKER_HOST unix:// to a socket, no context, no TLS, docker itself: that socket", () => {
    const r = socketOf({});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${sock}\n`);
  });

  it("anything else that decides where docker goes: not the socket", () => {
    const config = (json: object) => {
      const d = mkdtempSync(join(dir, "config-"));
      writeFileSync(join(d, "config.json"), JSON.stringify(json));
      return d;
    };
    const script = join(dir, "script-bin");
    mkdirSync(script, { recursive: true });
    writeFileSync(join(script, "docker"), "#!/bin/sh\nexec /bin/true\n");
    chmodSync(join(script, "docker"), 0o755);
    const others: Record<string, string>[] = [
      { DOCKER_HOST: "tcp://127.0.0.1:2375" },
      { DOCKER_HOST: `unix://${join(dir, "no.sock")}` },
      { DOCKER_CONTEXT: "desktop-linux" },
      { DOCKER_TLS_VERIFY: "1" },
      { DOCKER_CERT_PATH: dir },
      { DOCKER_CONFIG: config({ currentContext: "desktop-linux" }) },
      { DOCKER_CONFIG: config({ cliPluginsExtraDirs: [dir] }) },
      { PATH: `${script}:/usr/bin:/bin` },
      { GEN_CIRCLE_ENGINE_API: "0" },
    ];
    for (const env of others) {
      const r = socketOf(env);
      expect(r.status, JSON.stringify(env)).toBe(1);
      expect(r.stdout).toBe("");
    }
    // A config with neither (credentials, say) changes nothing.
    expect(socketOf({ DOCKER_CONFIG: config({ auths: {} }) }).stdout).toBe(`${sock}\n`);
  });

  it("reads the version and the store from /info, and buildx where docker's plugin manager looks first", async () => {
    const config = mkdtempSync(join(dir, "plugins-"));
    mkdirSync(join(config, "cli-plugins"));
    writeFileSync(join(config, "cli-plugins/docker-buildx"), "");
    chmodSync(join(config, "cli-plugins/docker-buildx"), 0o755);
    const overlay = { ServerVersion: "28.5.2", Driver: "overlay2", DriverStatus: [["Backing Filesystem", "extfs"]] };
    const containerd = { ServerVersion: "29.0.1", Driver: "overlayfs", DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]] };
    const buildx = join(config, "cli-plugins/docker-buildx");

    info = containerd;
    expect(await engine({ DOCKER_CONFIG: config })).toEqual({
      transport: "buildkit",
      name: "Docker 29.0.1, containerd image store, buildx",
      buildx,
      asked: `the API socket ${sock}`,
    });
    info = overlay;
    expect(await engine({ DOCKER_CONFIG: config })).toEqual({
      transport: "image",
      name: "Docker 28.5.2, overlay2 image store, buildx",
      buildx,
      asked: `the API socket ${sock}`,
    });
    // Without buildx there, the overlay2 store is answered (builds go through docker build)...
    const empty = mkdtempSync(join(dir, "empty-"));
    expect(await engine({ DOCKER_CONFIG: empty })).toMatchObject({ transport: "image", name: "Docker 28.5.2, overlay2 image store", buildx: "" });
    // ...the containerd store is not (buildx decides the transport there): docker info is asked.
    info = containerd;
    expect((await engine({ DOCKER_CONFIG: empty })).asked).toBe("docker info");
    // And where the socket is not docker's way to the engine, docker info.
    expect((await engine({ DOCKER_CONFIG: config, GEN_CIRCLE_ENGINE_API: "0" })).asked).toBe("docker info");
  });

  it("GEN_CIRCLE_ENGINE_API other than 0 or 1: an error naming it, not a guess", () => {
    const r = run("bash", ["-c", '. "$1"; gc_engine', "_", LIB], { env: { ...base(), GEN_CIRCLE_ENGINE_API: "false" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("gen-circle: error: GEN_CIRCLE_ENGINE_API must be 0 (always ask docker info) or 1, got 'false'\n");
  });

  it("whether an image is there: 200 yes, 404 no, over the socket", async () => {
    // docker here is /bin/true, which would say yes to anything: a no comes from the socket.
    const has = (ref: string) =>
      promisify(execFile)("bash", ["-c", '. "$1"; gc_image_exists "$2"', "_", LIB, ref], { env: base() }).then(
        () => true,
        () => false,
      );
    expect(await has("app:cache-1")).toBe(true);
    expect(await has("app:cache-2")).toBe(false);
    // Where the socket may not be asked, docker is.
    const viaDocker = await promisify(execFile)("bash", ["-c", '. "$1"; gc_image_exists "$2"', "_", LIB, "app:cache-2"], {
      env: { ...base(), GEN_CIRCLE_ENGINE_API: "0" },
    }).then(
      () => true,
      () => false,
    );
    expect(viaDocker).toBe(true);
  });
});
