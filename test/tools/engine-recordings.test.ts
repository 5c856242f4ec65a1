import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderPartial } from "../../src/emit/scripts.js";
import { ROOT, run } from "../helpers.js";

// The scripts' two readers of what an engine says, held to what the engines of the test matrix
// really said (test/recordings/engines/, recorded by test/infra/record-engine.sh): the engine probe
// (the `engine` partial of lib.sh) by either path, docker info or the Engine API's /info, and the
// build-log reader (the `build-log` partial of image.sh) on the builds' own logs.
const REC = join(ROOT, "test/recordings/engines");
const ENGINES = [
  { name: "debian-20.10", engine: "Docker 20.10.24+dfsg1, overlay2 image store", transport: "image", buildx: false },
  { name: "docker-28-overlay2", engine: "Docker 28.5.2+dfsg4, overlay2 image store, buildx", transport: "image", buildx: true },
  { name: "docker-28-containerd", engine: "Docker 28.5.2+dfsg4, containerd image store, buildx", transport: "buildkit", buildx: true },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync("/var/tmp/gc-engine-recordings-");
  const lib = `gc_log() { :; }\ngc_die() { printf '%s\\n' "$*" >&2; exit 1; }\n${renderPartial("engine")}`;
  writeFileSync(join(dir, "engine.sh"), lib);
  writeFileSync(join(dir, "build-log.sh"), renderPartial("build-log"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ENGINES)("the engine probe on $name's recorded answers", (e) => {
  let home: string;
  let server: Server;
  let sock: string;
  beforeAll(async () => {
    home = mkdtempSync(join(dir, `${e.name}-`));
    // Where docker's plugin manager finds buildx first: the config folder's cli-plugins.
    const config = join(home, "config");
    mkdirSync(join(config, "cli-plugins"), { recursive: true });
    if (e.buildx) {
      writeFileSync(join(config, "cli-plugins/docker-buildx"), "#!/bin/sh\n");
      chmodSync(join(config, "cli-plugins/docker-buildx"), 0o755);
    }
    // docker info's path: a docker that prints the recorded line (a script, so buildx is never run
    // by its own path: the scripts go round only the CLI itself).
    const line = readFileSync(join(REC, `${e.name}.docker-info.txt`), "utf8")
      .trim()
      .replaceAll("$PLUGINS", join(config, "cli-plugins"));
    mkdirSync(join(home, "script-bin"));
    writeFileSync(join(home, "script-bin/docker"), `#!/bin/sh\n[ "$1" = info ] || exit 1\nprintf '%s\\n' '${line.replaceAll("'", "'\\''")}'\n`);
    chmodSync(join(home, "script-bin/docker"), 0o755);
    // The API's path: docker the program itself (a link to one), and /info as recorded.
    mkdirSync(join(home, "bin"));
    symlinkSync("/bin/false", join(home, "bin/docker"));
    const info = readFileSync(join(REC, `${e.name}.info.json`), "utf8");
    sock = join(home, "docker.sock");
    server = createServer((req, res) => (req.url === "/info" ? res.end(info) : res.writeHead(404).end("{}")));
    await new Promise<void>((done) => server.listen(sock, done));
  });
  afterAll(() => new Promise((done) => server.close(done)));

  const probe = async (bin: string, env: Record<string, string> = {}) => {
    const { stdout } = await promisify(execFile)(
      "bash",
      ["-c", '. "$1"; gc_engine; printf "%s|%s|%s|%s" "$GC_TRANSPORT" "$GC_ENGINE" "$GC_BUILDX" "$GC_ASKED"', "_", join(dir, "engine.sh")],
      { env: { PATH: `${join(home, bin)}:/usr/bin:/bin`, HOME: home, DOCKER_CONFIG: join(home, "config"), DOCKER_HOST: `unix://${sock}`, ...env } },
    );
    const [transport, engine, buildx, asked] = stdout.split("|");
    return { transport, engine, buildx, asked };
  };

  it("docker info (the plain path): the transport and the engine as the matrix knows them", async () => {
    const r = await probe("script-bin");
    expect(r).toEqual({ transport: e.transport, engine: e.engine, buildx: "", asked: "docker info" });
  });

  it("the Engine API over the socket: the same answer, and buildx by its own path where it is", async () => {
    const r = await probe("bin");
    expect(r).toEqual({
      transport: e.transport,
      engine: e.engine,
      buildx: e.buildx ? join(home, "config/cli-plugins/docker-buildx") : "",
      asked: `the API socket ${sock}`,
    });
  });

  it("GEN_CIRCLE_ENGINE_API=0: docker info even where the socket could be asked", async () => {
    // docker here is /bin/false: docker info fails, and so does the probe, loudly.
    await expect(probe("bin", { GEN_CIRCLE_ENGINE_API: "0" })).rejects.toThrow(/docker info failed/);
  });
});

describe.each(ENGINES)("the build-log reader on $name's recorded builds", (e) => {
  const report = (kind: string) => {
    const r = run("bash", ["-c", '. "$1"; build_log_report "$2"', "_", join(dir, "build-log.sh"), join(REC, `${e.name}.build-${kind}.log`)]);
    expect(r.status, r.stderr).toBe(0);
    const [cached, rerun] = r.stdout.replace(/\n$/, "").split("\t");
    return { cached: Number(cached), rerun };
  };
  const FIRST_RUN = /^RUN echo setup \S+ >\/setup$/;

  it("an empty build cache: nothing cached, the first RUN ran", () => {
    const r = report("cold");
    expect(r.cached).toBe(0);
    expect(r.rerun).toMatch(FIRST_RUN);
  });
  it("the same build again: every step of both stages cached (FROM and BuildKit's internal steps not counted)", () => {
    expect(report("warm")).toEqual({ cached: 5, rerun: "" });
  });
  it("the code changed: the dependency stage cached, the steps after the changed COPY ran, and that is no rerun", () => {
    expect(report("code")).toEqual({ cached: 3, rerun: "" });
  });
  it("--no-cache: the first RUN ran although nothing it copies changed", () => {
    const r = report("rerun");
    expect(r.cached).toBe(0);
    expect(r.rerun).toMatch(FIRST_RUN);
  });
});
