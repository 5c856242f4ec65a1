import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cdToRoot, codeRoot } from "../../src/dockerfile/code-root.js";
import { dockerInstructions } from "../../src/dockerfile/parse.js";
import { detect } from "../../src/init/detect.js";

// Where an image holds the repository, and where its command starts: our own small Dockerfiles.
const kinds = { isFolder: (src: string) => ["src", "ui", "web"].includes(src), isCode: (src: string) => src === "src" || src === "web" };
const rootOf = (...lines: string[]) => codeRoot(dockerInstructions(lines.join("\n")), kinds);

describe("the repository's root in an image", () => {
  it("where the whole context is copied, against the WORKDIR of the time; the last WORKDIR is where the image starts", () => {
    expect(rootOf("FROM sdk", "WORKDIR /app", "COPY *.sln .", "COPY . .", "WORKDIR /app/src/Web")).toEqual({
      root: "/app",
      workdir: "/app/src/Web",
      whole: true,
    });
    expect(rootOf("FROM golang", "COPY . /src/gotify")).toEqual({ root: "/src/gotify", workdir: "", whole: true });
    // ARG and ENV values fill in the paths (the old `ENV A b` form too).
    expect(rootOf("FROM maven", "ENV BUILD_DIR=/tmp/build", 'COPY . "$BUILD_DIR"', "WORKDIR /opt")).toEqual({
      root: "/tmp/build",
      workdir: "/opt",
      whole: true,
    });
    expect(rootOf("FROM maven", "ARG HOME_DIR=/home/app", "ENV APP ${HOME_DIR}/code", "COPY . $APP").root).toBe("/home/app/code");
    // Relative to the base image's own folder when no WORKDIR says.
    expect(rootOf("FROM node", "COPY . .")).toEqual({ root: "", workdir: "", whole: true });
  });

  it("without the whole context: a folder of code copied under its own name, else root files into a folder", () => {
    expect(rootOf("FROM sdk", "WORKDIR /app", "COPY App.sln ./", "COPY src/ ./src", "WORKDIR /app/src/Web").root).toBe("/app");
    expect(rootOf("FROM node", "COPY package.json /srv/", "WORKDIR /srv").root).toBe("/srv");
    // A folder copied under another name says nothing of the root.
    expect(rootOf("FROM node", "COPY ui /static").root).toBeUndefined();
    // A file copied to a folder the image does not work in (a config, a health check) is not the repository.
    expect(rootOf("FROM node", "WORKDIR /app", "COPY package.json ./", "COPY src ./src", "COPY healthcheck.js /usr/local/bin/").root).toBe("/app");
    expect(rootOf("FROM golang", "WORKDIR /app", "COPY go.mod ./", "COPY config.yaml /etc/myapp/").root).toBe("/app");
    // Quotes around WORKDIR are the shell's, not the path's; a variable with no value leaves the root unknown.
    expect(rootOf("FROM sdk", 'WORKDIR "/src"', "COPY . .", 'WORKDIR "/src/Web"')).toEqual({ root: "/src", workdir: "/src/Web", whole: true });
    expect(rootOf("FROM sdk", "WORKDIR /srv/$APP", "COPY . .").root).toBeUndefined();
    // Copies from other stages say nothing either.
    expect(rootOf("FROM node", "COPY --from=build /app /app").root).toBeUndefined();
  });

  it("cd before the command only to an absolute root that is not where the image starts (or a package's folder of it)", () => {
    expect(cdToRoot({ root: "/app", workdir: "/app/src/Web", whole: true }, "")).toBe("cd /app && ");
    // Which folder the command belongs to not known: a working directory inside the repository may be it.
    expect(cdToRoot({ root: "/app", workdir: "/app/src/Web", whole: true })).toBe("");
    expect(cdToRoot({ root: "/src/app", workdir: "/opt", whole: true })).toBe("cd /src/app && ");
    expect(cdToRoot({ root: "/app", workdir: "/app", whole: true })).toBe("");
    expect(cdToRoot({ root: "/app", workdir: "/app/backend", whole: true }, "backend")).toBe("");
    expect(cdToRoot({ root: "/app", workdir: "", whole: true }, "web")).toBe("cd /app/web && ");
    expect(cdToRoot({ root: "", workdir: "/app", whole: true })).toBe("");
    expect(cdToRoot({ root: undefined, workdir: "/app", whole: true })).toBe("");
    expect(cdToRoot({ root: "/my app", workdir: "", whole: true })).toBe("cd '/my app' && ");
  });
});

describe("init: a test command found from the files runs from the repository's root", () => {
  const view = (files: Record<string, string>) => ({ name: "shop", files: Object.keys(files), read: (p: string) => files[p] });
  const command = (files: Record<string, string>) => (parse(detect(view(files)).spec) as { test: { command: string } }).test.command;

  it("the image starts in a folder of it, or elsewhere", () => {
    const sln = { "App.sln": "", "src/Web/Web.csproj": "", "src/Web/Program.cs": "", "tests/Web.Tests/Web.Tests.csproj": "" };
    expect(
      command({
        ...sln,
        Dockerfile: "FROM mcr.microsoft.com/dotnet/sdk:8.0\nWORKDIR /app\nCOPY . .\nWORKDIR /app/src/Web\nRUN dotnet restore\n",
      }),
    ).toBe("cd /app && dotnet test");
    expect(command({ "go.mod": "", "main.go": "", Dockerfile: "FROM golang:1.22\nCOPY . /src/app\nRUN cd /src/app && go build\n" })).toBe(
      "cd /src/app && go test ./...",
    );
    expect(command({ "go.mod": "", "main.go": "", Dockerfile: "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build\n" })).toBe("go test ./...");
  });
});
