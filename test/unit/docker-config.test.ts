import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jobDockerConfig, keptSettings, machineDockerConfig } from "../../src/cli/run/docker-config.js";
import { tmpTree } from "../helpers.js";

const tempDir = (prefix: string) => tmpTree({}, prefix);

// A `gen-circle run` job's DOCKER_CONFIG: this machine's client setup without its logins.
describe("a job's docker config", () => {
  it("is DOCKER_CONFIG's folder, else ~/.docker", () => {
    expect(machineDockerConfig({ DOCKER_CONFIG: "/c", HOME: "/h" })).toBe("/c");
    expect(machineDockerConfig({ HOME: "/h" })).toBe("/h/.docker");
    expect(machineDockerConfig({})).toBeUndefined();
  });

  it("keeps the contexts, the current context and the plugins, and leaves the logins and builders out", () => {
    const machine = tempDir("gc-dockercfg-");
    mkdirSync(join(machine, "cli-plugins"));
    writeFileSync(join(machine, "cli-plugins/docker-buildx"), "#!/bin/sh\n");
    mkdirSync(join(machine, "contexts/meta/abc"), { recursive: true });
    writeFileSync(join(machine, "contexts/meta/abc/meta.json"), '{"Name":"desktop-linux"}');
    mkdirSync(join(machine, "buildx"));
    writeFileSync(join(machine, "buildx/current"), '{"Key":"x","Name":"mybuilder"}');
    writeFileSync(
      join(machine, "config.json"),
      JSON.stringify({
        auths: { "registry.example": { auth: "c2VjcmV0" } },
        credsStore: "desktop",
        credHelpers: { "gcr.io": "gcloud" },
        currentContext: "desktop-linux",
        cliPluginsExtraDirs: ["/opt/plugins"],
      }),
    );
    const home = tempDir("gc-jobhome-");
    const dir = jobDockerConfig(machine, home);
    expect(dir).toBe(join(home, ".docker"));
    expect(readlinkSync(join(dir, "cli-plugins"))).toBe(join(machine, "cli-plugins"));
    expect(readFileSync(join(dir, "contexts/meta/abc/meta.json"), "utf8")).toContain("desktop-linux");
    expect(existsSync(join(dir, "buildx"))).toBe(false);
    const config = readFileSync(join(dir, "config.json"), "utf8");
    expect(JSON.parse(config)).toEqual({ currentContext: "desktop-linux", cliPluginsExtraDirs: ["/opt/plugins"] });
    expect(config).not.toMatch(/c2VjcmV0|desktop"|gcloud/);
  });

  it("is an empty folder where this machine has none, and a config.json that is not JSON is left out", () => {
    const home = tempDir("gc-jobhome-");
    expect(existsSync(jobDockerConfig(undefined, home))).toBe(true);
    const machine = tempDir("gc-dockercfg-");
    writeFileSync(join(machine, "config.json"), "{ not json");
    const dir = jobDockerConfig(machine, tempDir("gc-jobhome-"));
    expect(existsSync(join(dir, "config.json"))).toBe(false);
    expect(keptSettings("[1]")).toEqual({});
    expect(keptSettings('{"auths":{}}')).toEqual({});
  });
});
