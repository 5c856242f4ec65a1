import { describe, expect, it } from "vitest";
import { inputMatcher } from "../../src/hash/glob.js";
import { compileSpec } from "../../src/index.js";
import { detect } from "../../src/init/detect.js";
import { dockerInstructions } from "../../src/dockerfile/parse.js";
import { unsetBaseArgs } from "../../src/dockerfile/stages.js";

// validate's checks of an image's build inputs, with the repository's files where they matter.
const withFiles = (files: Record<string, string>) => ({
  readFile: (p: string) => files[p],
  listFiles: (pattern: string) => Object.keys(files).filter(inputMatcher(pattern)),
  matchesFiles: (pattern: string) => Object.keys(files).some(inputMatcher(pattern)),
});
const codesAt = (spec: string, files?: Record<string, string>) =>
  compileSpec(spec, files ? withFiles(files) : {}).diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`);

describe("validate: hash inputs outside the build context (GC1040)", () => {
  it("a file or folder outside the context is a warning at its entry", () => {
    expect(codesAt("image:\n  name: a/b\n  context: api\n  hash: [api/Dockerfile, shared/lib, 'tools/*.sh']\n")).toEqual([
      "4:26 warning GC1040",
      "4:38 warning GC1040",
    ]);
  });

  it("not for the whole repository as context, a glob that can match inside it, the Dockerfile, or a base image's Dockerfile and its folder", () => {
    expect(codesAt("image:\n  name: a/b\n  hash: [Dockerfile, go.mod]\n")).toEqual([]);
    expect(codesAt("image:\n  name: a/b\n  context: api\n  hash: [api/Dockerfile, '**/package.json', 'api/*.json']\n")).toEqual([]);
    expect(
      codesAt("image:\n  name: a/b\n  context: app\n  dockerfile: docker/Dockerfile\n  hash: [docker/Dockerfile, docker/Dockerfile.dockerignore]\n"),
    ).toEqual([]);
    expect(codesAt("image:\n  name: a/b\n  context: app\n  hash: [app/Dockerfile, base/Dockerfile, base/requirements.txt]\n")).toEqual([]);
  });

  it("outside the repository stays GC1025 (an error), not reported twice", () => {
    expect(codesAt("image:\n  name: a/b\n  context: api\n  hash: [api/Dockerfile, ../secrets.txt, /etc/hosts]\n")).toEqual([
      "4:26 error GC1025",
      "4:42 error GC1025",
    ]);
  });

  it("init's own spec passes: a base image built from another folder adds that folder's files", () => {
    const files = {
      "api/Dockerfile": "FROM acme/py-base\nCOPY . /app\n",
      "api/app.py": "",
      "base/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
      "base/requirements.txt": "pytest\n",
      "web/Dockerfile": "FROM node:22\nCOPY . .\n",
      "web/package.json": "{}",
      "compose.yaml": "services:\n  base:\n    image: acme/py-base\n    build: ./base\n  api:\n    build: ./api\n    image: acme/api\n",
    };
    const d = detect({ name: "shop", files: Object.keys(files), read: (p: string) => files[p as keyof typeof files] });
    expect(d.spec).toContain("hash: [api/Dockerfile, base/Dockerfile, base/requirements.txt]");
    expect(compileSpec(d.spec, withFiles(files)).diagnostics).toEqual([]);
  });
});

const lines = (...l: string[]) => l.join("\n") + "\n";

describe("validate: build args holding a variable (GC1041)", () => {
  it("init marks a build arg compose left unset with a TODO, which validate warns about too", () => {
    const files = {
      Dockerfile: "FROM node:22\nARG NODE_ENV UID\nCOPY . .\n",
      "package.json": '{"scripts": {"test": "jest"}}',
      "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      args: { NODE_ENV: '${NODE_ENV}', UID: '${UID:-1000}' }\n",
    };
    const d = detect({ name: "shop", files: Object.keys(files), read: (p: string) => files[p as keyof typeof files] });
    expect(d.todo).toEqual(["image.build_args.NODE_ENV: ${NODE_ENV} has no value in the compose variables: write the build arg's value"]);
    expect(d.spec).toContain(
      '  build_args:\n    # TODO: ${NODE_ENV} has no value in the compose variables: write the build arg\'s value\n    NODE_ENV: "${NODE_ENV}"\n    UID: 1000\n',
    );
    expect(compileSpec(d.spec).diagnostics.map((x) => x.code)).toEqual(["GC1041"]);
    // An ARG with a default: it stands in, and the build arg is left out.
    const withDefault = { ...files, Dockerfile: 'FROM node:22\nARG NODE_ENV="development" UID\nCOPY . .\n' };
    const e = detect({ name: "shop", files: Object.keys(withDefault), read: (p: string) => withDefault[p as keyof typeof withDefault] });
    expect(e.todo).toEqual([]);
    expect(e.spec).toContain("  build_args:\n    UID: 1000\n");
    expect(e.guessed).toContain(
      "build arg NODE_ENV left out: compose gives it ${NODE_ENV}, which has no value in the compose variables; the Dockerfile's default (development) applies",
    );
  });

  it("a build arg no stage of the test image reads is left out (with BuildKit's inline cache); a declared, FROM-named or predefined one is kept", () => {
    const files = {
      Dockerfile: lines(
        "ARG REGISTRY=''",
        "ARG HUB=${REGISTRY}",
        "ARG UNUSED=1",
        "FROM ${HUB}elixir:1.17 AS deps",
        "ARG MIX_ENV=test",
        "COPY mix.exs mix.lock ./",
        "RUN mix deps.get",
        "FROM deps AS test",
        "COPY . .",
        "FROM debian:12 AS prod",
        "ARG PROD_ONLY",
      ),
      "mix.exs": "",
      "mix.lock": "",
      "compose.yaml": lines(
        "services:",
        "  test:",
        "    build:",
        "      context: .",
        "      target: test",
        "      args: { REGISTRY: ghcr.io/, MIX_ENV: test, UNUSED: '2', PROD_ONLY: x, BUILDKIT_INLINE_CACHE: '1', HTTP_PROXY: 'http://proxy:3128' }",
      ),
    };
    const d = detect({ name: "shop", files: Object.keys(files), read: (p: string) => files[p as keyof typeof files] });
    expect(d.spec).toMatch(/build_args:\n    REGISTRY: ghcr.io\/\n    MIX_ENV: test\n    HTTP_PROXY: "?http:\/\/proxy:3128"?\n/);
    expect(d.found).toContain(
      "build arg UNUSED left out: no stage the tests' image is built from declares it (ARG) or names it in FROM, so the build does not read it",
    );
    expect(d.found).toContain("build arg BUILDKIT_INLINE_CACHE left out: the pipeline decides how the image carries its build cache");
  });

  it("$VAR and ${VAR} are warnings at the value; literal values, numbers and a lone $ are not", () => {
    const spec = "image:\n  name: a/b\n  build_args:\n    A: $HOME/x\n    B: '${TAG}'\n    C: production\n    D: 1000\n    E: costs $5\n";
    const { diagnostics } = compileSpec(spec);
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.path}`)).toEqual(["4:8 GC1041 /image/build_args/A", "5:8 GC1041 /image/build_args/B"]);
    expect(diagnostics[1]!.message).toContain('Build arg B holds "${TAG}"');
  });
});

describe("validate: the Dockerfile's copies before its install step (GC1031), read on the target's stages", () => {
  const dockerfile = [
    "FROM python:3.12 AS test",
    "COPY requirements.txt .",
    "RUN pip install -r requirements.txt",
    "COPY src/ src/",
    "FROM node:22 AS docs",
    "COPY docs/package.json .",
    "RUN npm ci",
    "",
  ].join("\n");
  const files = { Dockerfile: dockerfile, "requirements.txt": "", "src/app.py": "", "docs/package.json": "{}" };

  it("a later stage's copies do not count when the spec builds the test target", () => {
    expect(codesAt("image:\n  name: a/b\n  target: test\n  hash: [Dockerfile, requirements.txt]\n", files)).toEqual([]);
    // Without a target the whole Dockerfile is built: the docs stage's install counts.
    expect(codesAt("image:\n  name: a/b\n  hash: [Dockerfile, requirements.txt]\n", files)).toEqual(["3:9 warning GC1031"]);
  });

  it("a folder of code copied after the install is not an input it asks for", () => {
    const code = {
      ...files,
      Dockerfile: "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY src/ src/\nRUN python -m compileall src\n",
    };
    expect(codesAt("image:\n  name: a/b\n  hash: [Dockerfile, requirements.txt]\n", code)).toEqual([]);
  });
});

describe("a FROM that reads an ARG nothing sets (GC1044, and init's TODO)", () => {
  const dockerfile = (...lines: string[]) => [...lines, ""].join("\n");
  const unset = (text: string, args: Record<string, string> = {}, target?: string) =>
    unsetBaseArgs(dockerInstructions(text), args, target).map((u) => `${u.name}@${u.stage.name ?? u.stage.index}`);

  it("an ARG without a default (or an empty one) in a built stage's FROM; not one with a default, a build arg, ${X:-default} or a platform ARG", () => {
    const based = dockerfile(
      "ARG BASE_IMAGE",
      "ARG TAG=1.17",
      "FROM ${BASE_IMAGE} AS build",
      "RUN mix test",
      "FROM debian:${TAG}",
      "COPY --from=build /app /app",
    );
    expect(unset(based)).toEqual(["BASE_IMAGE@build"]);
    expect(unset(based, { BASE_IMAGE: "hexpm/elixir:1.17" })).toEqual([]);
    expect(unset(dockerfile('ARG V=""', "FROM node:$V"))).toEqual(["V@0"]);
    expect(unset(dockerfile("ARG VARIANT", "FROM node:22${VARIANT:+-$VARIANT}"))).toEqual([]);
    expect(unset(dockerfile("ARG V", "FROM node:${V:-22}", "FROM --platform=$BUILDPLATFORM golang:1.22 AS go", "FROM alpine-${TARGETARCH}"))).toEqual([]);
    // Only the stages the target builds: a later stage's base does not stop the build of an earlier one.
    expect(unset(dockerfile("ARG RUNNER", "FROM golang:1.22 AS builder", "FROM ${RUNNER}", "COPY --from=builder /x /x"), {}, "builder")).toEqual([]);
    expect(unset(dockerfile("ARG RUNNER", "FROM golang:1.22 AS builder", "FROM ${RUNNER}", "COPY --from=builder /x /x"))).toEqual(["RUNNER@1"]);
  });

  const files = {
    Dockerfile: dockerfile(
      "ARG BASE_IMAGE",
      "FROM ${BASE_IMAGE}",
      "WORKDIR /app",
      "COPY requirements.txt .",
      "RUN pip install -r requirements.txt",
      "COPY . .",
    ),
    "requirements.txt": "pytest\n",
    "tests/test_app.py": "",
  };

  it("validate warns at build_args (or the image), and not once the build arg is given", () => {
    expect(codesAt("image:\n  name: a/b\n  hash: [Dockerfile, requirements.txt]\n", files)).toEqual(["2:9 warning GC1044"]);
    const spec = "image:\n  name: a/b\n  build_args: { BASE_IMAGE: 'python:3.12' }\n  hash: [Dockerfile, requirements.txt]\n";
    expect(codesAt(spec, files)).toEqual([]);
    const message = compileSpec("image:\n  name: a/b\n  build_args: { OTHER: 1 }\n", withFiles(files)).diagnostics.find((d) => d.code === "GC1044")!.message;
    expect(message).toMatch(/^Dockerfile: the FROM of stage 0 reads ARG BASE_IMAGE, which has no default and no build arg here/);
  });

  it("init writes a TODO at build_args; a compose build arg gives the value", () => {
    const repo = (f: Record<string, string>) => ({ name: "shop", files: Object.keys(f), read: (p: string) => f[p] });
    expect(detect(repo(files)).todo).toContainEqual(
      expect.stringMatching(/^image\.build_args: the FROM of stage 0 reads ARG BASE_IMAGE, which has no default/),
    );
    const compose = { ...files, "docker-compose.yml": "services:\n  web:\n    build:\n      context: .\n      args:\n        BASE_IMAGE: python:3.12\n" };
    const found = detect(repo(compose));
    expect(found.todo.join("\n")).not.toContain("BASE_IMAGE");
    expect(found.spec).toContain("BASE_IMAGE: python:3.12");
  });
});
