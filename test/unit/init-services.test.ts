import { describe, expect, it } from "vitest";
import { dockerInstructions } from "../../src/dockerfile/inputs.js";
import { isServiceBuild, serviceBuildBase } from "../../src/init/service-build.js";

describe("a Dockerfile that builds a well-known service", () => {
  const base = (text: string, args?: Record<string, string>) => serviceBuildBase(dockerInstructions(text), args);

  it("its final stage's base, through ARG defaults, compose's build args and earlier stages", () => {
    expect(base("FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n")).toMatchObject({ image: "postgres:16", known: { kind: "PostgreSQL" } });
    expect(base("ARG PG=15\nFROM postgres:${PG}-alpine AS db\nFROM db\nCOPY x /y\n")?.image).toBe("postgres:15-alpine");
    expect(base("ARG V=8.0\nFROM --platform=linux/amd64 mysql:$V\n", { V: "8.4" })?.image).toBe("mysql:8.4");
    expect(base("FROM node:20 AS build\nRUN make\nFROM redis:7\nCOPY --from=build /x /y\n")?.known.kind).toBe("Redis");
  });

  it("is not one when the final stage is something else, even built from a service image", () => {
    expect(base("FROM postgres:16 AS pg\nFROM python:3.12\nCOPY --from=pg /usr/lib/postgresql /pg\n")).toBeUndefined();
    expect(base("FROM python:3.12\n")).toBeUndefined();
    expect(isServiceBuild(dockerInstructions("FROM mariadb:11\nCOPY my.cnf /etc/mysql/conf.d/\n"))).toBe(true);
    expect(isServiceBuild(dockerInstructions("FROM golang:1.22\n"))).toBe(false);
  });
});
