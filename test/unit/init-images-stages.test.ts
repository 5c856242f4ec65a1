import { describe, expect, it } from "vitest";
import { stageFacts } from "../../src/dockerfile/facts.js";
import { copySources, dockerInstructions, runCommand, runMounts } from "../../src/dockerfile/parse.js";
import { chainOf, dependenciesOf, dockerStages } from "../../src/dockerfile/stages.js";
import { baseImage, runTools } from "../../src/dockerfile/toolchain.js";

// The Dockerfile readers under init's test stage: the stage graph, base images, RUN lines.
const stagesOf = (text: string, args: Record<string, string> = {}) => dockerStages(dockerInstructions(text), args);

describe("the stage graph", () => {
  const text = [
    "ARG BASE=node:22",
    "FROM --platform=$BUILDPLATFORM ${BASE} AS deps",
    "FROM deps AS Build",
    "COPY --from=tools /bin/x /bin/x",
    "FROM alpine AS tools",
    "FROM build AS test",
    "RUN --mount=type=bind,from=deps,source=/a,target=/a true",
    "FROM scratch",
    "COPY --from=1 /app /app",
    "",
  ].join("\n");

  it("names, bases with ARG defaults, parents and the stages each reads from", () => {
    const stages = stagesOf(text);
    expect(stages.map((s) => [s.name, s.from, s.parent, s.reads])).toEqual([
      ["deps", "node:22", undefined, []],
      ["Build", "deps", 0, []], // `tools` comes later: an image of that name, not the stage
      ["tools", "alpine", undefined, []],
      ["test", "build", 1, [0]],
      [undefined, "scratch", undefined, [1]],
    ]);
    expect(stagesOf(text, { BASE: "node:20" })[0]!.from).toBe("node:20");
  });

  it("a stage's chain, and every stage its build needs", () => {
    const stages = stagesOf(text);
    expect(chainOf(stages, 3).map((s) => s.index)).toEqual([0, 1, 3]);
    expect(dependenciesOf(stages, 4).map((s) => s.index)).toEqual([0, 1, 4]);
  });
});

describe("instructions", () => {
  it("copy sources as context paths: the whole context as '.', no --from, no URL or heredoc", () => {
    expect(copySources("--chown=a:b ./ /app")).toEqual(["."]);
    expect(copySources('["aspnetapp/.", "./src/", "/x"]')).toEqual(["aspnetapp", "src"]);
    expect(copySources("--from=build /app /app")).toBeUndefined();
    expect(copySources("https://example.com/a.tgz <<EOF a.txt /dst/")).toEqual(["a.txt"]);
  });

  it("RUN mounts: bind is the default type, the context root the default source", () => {
    expect(runMounts("--mount=type=cache,target=/root/.cache --mount=target=. --mount=type=bind,source=uv.lock,target=uv.lock uv sync")).toEqual([
      { type: "cache", source: ".", from: undefined },
      { type: "bind", source: ".", from: undefined },
      { type: "bind", source: "uv.lock", from: undefined },
    ]);
  });
});

describe("toolchains", () => {
  it.each([
    ["maven:3.9-eclipse-temurin-21", "toolchain", ["java", "mvn"]],
    ["eclipse-temurin:21-jre-jammy", "runtime", []],
    ["gcr.io/distroless/java21-debian12", "runtime", []],
    ["mcr.microsoft.com/dotnet/sdk:8.0", "toolchain", ["dotnet"]],
    ["mcr.microsoft.com/dotnet/aspnet:8.0", "runtime", []],
    ["golang:1.22-alpine", "toolchain", ["go"]],
    ["rust:1.80", "toolchain", ["cargo", "make"]],
    ["hexpm/elixir:1.17.2-erlang-27.0-alpine-3.20.1", "toolchain", ["mix"]],
    ["php:8.3-fpm", "toolchain", ["php"]],
    ["composer:2", "toolchain", ["php", "composer"]],
    ["node:22-slim", "toolchain", ["node", "yarn"]],
    ["python:3.12", "toolchain", ["python", "make"]],
    ["ghcr.io/astral-sh/uv:python3.12-bookworm-slim", "toolchain", ["python", "uv"]],
    ["ubuntu:24.04", "os", []],
    ["nginx:1.27-alpine", "runtime", []],
    ["acme/node-base:dev", "unknown", []],
  ])("%s: %s %j", (image, kind, tools) => {
    expect(baseImage(image)).toMatchObject({ kind, tools });
  });

  it("what RUN lines install or run", () => {
    expect(runTools("apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven=3.8.7-1")).toEqual(["java", "mvn"]);
    expect(runTools("apk add --no-cache nodejs npm openjdk17-jre")).toEqual(["node"]);
    expect(runTools("curl https://sh.rustup.rs -sSf | sh -s -- -y")).toEqual(["cargo"]);
    expect(runTools("corepack enable && pnpm install")).toEqual(["node", "yarn", "pnpm"]);
    expect(runTools("FOO=1 ./mvnw -B package")).toEqual(["java"]);
    expect(runTools("echo go home && useradd node")).toEqual([]);
  });

  it("a stage inherits the toolchain and the code of the stage it is built on, and adds its own", () => {
    const stages = stagesOf(
      ["FROM debian:12 AS base", "RUN apt-get install -y golang", "FROM base AS build", "COPY . .", "FROM build AS lint", "RUN go vet ./...", ""].join("\n"),
    );
    expect(stageFacts(stages).map((f) => [[...f.tools], f.ecosystems, f.code, f.adds])).toEqual([
      [["go"], ["go"], false, true],
      [["go"], ["go"], true, true],
      [["go"], ["go"], true, false],
    ]);
  });
});

describe("BuildKit heredocs and install prefixes copied from a stage", () => {
  it("a `RUN <<EOS` body is the command the RUN runs (after its flags); `RUN cmd <<EOF` and `COPY <<EOF` bodies are not", () => {
    const ins = dockerInstructions(
      [
        "FROM ubuntu AS build",
        "RUN --mount=type=cache,target=/root/.cache <<EOS",
        "  apt-get update",
        "  ./configure && \\",
        "    make install",
        "  ruby --version",
        "EOS",
        "RUN python3 <<EOF",
        "import os",
        "EOF",
        "COPY <<EOF /etc/app.conf",
        "RUN not-a-command",
        "EOF",
      ].join("\n"),
    );
    expect(ins.map((i) => i.op)).toEqual(["FROM", "RUN", "RUN", "COPY"]);
    expect(ins[1]!.args).toBe("--mount=type=cache,target=/root/.cache apt-get update\n./configure && make install\nruby --version");
    expect(runTools(runCommand(ins[1]!.args))).toEqual(expect.arrayContaining(["make", "ruby"]));
    expect(ins[2]!.args).toBe("python3 <<EOF");
  });

  it("`COPY --from=<stage> /usr/local /usr/local` brings that stage's toolchain (a Ruby built from source, Node unpacked)", () => {
    const st = stagesOf(
      [
        "FROM ubuntu:24.04 AS base",
        "FROM base AS build-ruby",
        "RUN <<EOS",
        "  ./configure && make install",
        "  ruby --version",
        "EOS",
        "FROM base AS build-node",
        "RUN curl -L https://nodejs.org/dist/node.tar.xz | tar -xJf - && node --version",
        "FROM base AS app",
        "COPY --link --from=build-ruby /usr/local /usr/local",
        "COPY --from=build-node /usr/local/bin /usr/local/bin",
        "COPY --from=build-node /etc/hosts /etc/hosts2",
        "COPY . /app",
      ].join("\n"),
    );
    const app = stageFacts(st)[3]!;
    expect([...app.tools].sort()).toEqual(["make", "node", "ruby"]);
    expect(app.ecosystems.sort()).toEqual(["node", "ruby"]);
  });
});

describe("heredocs and prefixes, read with care", () => {
  it("a heredoc script keeps its `$` as written; one for another interpreter is not the RUN's command", () => {
    const ins = dockerInstructions(
      ["FROM alpine", "RUN <<EOF", 'echo "$$ $& $HOME"', "EOF", "RUN <<EOF", "#!/usr/bin/env python3", "import os", "EOF"].join("\n"),
    );
    expect(ins[1]!.args).toBe('echo "$$ $& $HOME"');
    expect(ins[2]!.args).toBe("<<EOF");
    // Two heredocs on one line: both bodies are the instruction's, read one after the other.
    const two = dockerInstructions(["FROM alpine", "COPY <<a.txt <<b.txt /etc/", "RUN one", "a.txt", "RUN two", "b.txt", "RUN echo done"].join("\n"));
    expect(two.map((i) => i.op)).toEqual(["FROM", "COPY", "RUN"]);
    expect(two[2]!.args).toBe("echo done");
  });

  it("a virtualenv or one program copied from under a prefix brings no toolchain", () => {
    const st = stagesOf(
      [
        "FROM python:3.12 AS builder",
        "RUN pip install poetry && poetry install",
        "FROM debian:12",
        "COPY --from=builder /opt/venv /opt/venv",
        "COPY --from=builder /usr/local/bin/app /usr/local/bin/app",
      ].join("\n"),
    );
    expect([...stageFacts(st)[1]!.tools]).toEqual([]);
  });
});
