import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../helpers.js";

/**
 * The engines of the test matrix (test/infra/setup-test-env.sh starts them). vitest.config.ts runs the
 * Docker tests once per engine, with GEN_CIRCLE_TEST_ENGINE naming it.
 */
export const ENGINES = ["debian-20.10", "docker-28-overlay2", "docker-28-containerd"] as const;
export type EngineName = (typeof ENGINES)[number];

/** Where test/infra/setup-test-env.sh keeps its state (engines' client folders, registries). */
export const TEST_STATE = process.env.GEN_CIRCLE_TEST_STATE ?? "/var/tmp/gen-circle-test";

/**
 * Test projects, their state and the folders of their `gen-circle run`s: in the test state, not
 * below /tmp, which each job of a local run has of its own (a mount namespace hides this
 * machine's /tmp from the job).
 */
export const TEST_TMP = join(TEST_STATE, "work");
mkdirSync(TEST_TMP, { recursive: true });

function current(): EngineName {
  const name = process.env.GEN_CIRCLE_TEST_ENGINE ?? "debian-20.10";
  if (!(ENGINES as readonly string[]).includes(name)) throw new Error(`GEN_CIRCLE_TEST_ENGINE: unknown engine '${name}' (one of ${ENGINES.join(", ")})`);
  return name as EngineName;
}

export const ENGINE: EngineName = current();
/** The folder holding the engine's `docker`: first on PATH for the scripts and the helpers alike. */
export const ENGINE_BIN = join(TEST_STATE, "engines", ENGINE, "bin");
/** The engine under test's client. */
export const DOCKER = join(ENGINE_BIN, "docker");
export const docker = (...args: string[]) => run(DOCKER, args);
/**
 * The engine's DOCKER_HOST and DOCKER_CONFIG (bin/docker-env, written by test/infra/setup-test-env.sh),
 * set in this process's environment: every command a test starts (the scripts, the helpers,
 * `gen-circle run`) then reaches the engine under test and its plugins, and a caller's own
 * settings none. `docker` itself is the engine's CLI, not a wrapper. In a test worker (started
 * after the global setup wrote the file) a missing file is an error.
 */
function useEngineEnv(): void {
  const file = join(ENGINE_BIN, "docker-env");
  if (!existsSync(file)) {
    if (process.env.VITEST_WORKER_ID) throw new Error(`${file} is missing: run test/infra/setup-test-env.sh ${ENGINE}`);
    return;
  }
  delete process.env.DOCKER_CONTEXT;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(DOCKER_HOST|DOCKER_CONFIG)=(.+)$/.exec(line);
    if (m) process.env[m[1]] = m[2];
  }
}
useEngineEnv();
/** PATH with the engine's client first. */
export const ENGINE_PATH = `${ENGINE_BIN}:${process.env.PATH}`;
/**
 * The registry path under which this engine's tests push (localhost:5000 and 127.0.0.1:5001): the
 * lane's global teardown removes it, so a run leaves no tag behind.
 */
export const REGISTRY_PATH = `gc-it/${ENGINE}`;
/** The transport the scripts should pick on this engine (image.sh's gc_engine). */
export const TRANSPORT = ENGINE === "docker-28-containerd" ? "buildkit" : "image";
