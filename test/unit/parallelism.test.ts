import { describe, expect, it } from "vitest";
import { compileSpec } from "../../src/index.js";

// Parallel test nodes that pay off: each node runs a share of the tests, never the whole suite,
// and a split by timings gets the JUnit file names it reads where the runner is known.
const compile = (test: string) => compileSpec(`image: a/b\ntest:\n${test}`);
const env = (test: string) => Object.fromEntries(compile(test).spec!.images[0]!.test!.environment);

describe("parallelism", () => {
  it("with a split, or a command that shares the work by CIRCLE_NODE_INDEX: accepted", () => {
    expect(compile("  command: pytest $TEST_FILES\n  parallelism: 4\n  split: tests/*.py\n").diagnostics).toEqual([]);
    expect(compile("  command: ./run-shard $CIRCLE_NODE_INDEX $CIRCLE_NODE_TOTAL\n  parallelism: 4\n").diagnostics).toEqual([]);
    expect(compile("  command: make test\n  parallelism: 1\n").diagnostics).toEqual([]);
  });

  it("without either: refused, at parallelism", () => {
    const d = compile("  command: bundle exec rspec\n  parallelism: 3\n").diagnostics;
    expect(d.map((x) => [x.code, x.severity, `${x.line}:${x.column}`])).toEqual([["GC1033", "error", "4:16"]]);
  });
});

describe("split by timings: the JUnit report names its files", () => {
  it("pytest writes them with junit_family xunit1 (its default xunit2 has none): set for the container", () => {
    expect(env("  command: pytest --junitxml=/r/j.xml $TEST_FILES\n  parallelism: 2\n  split: tests/*.py\n")).toEqual({
      PYTEST_ADDOPTS: "-o junit_family=xunit1",
    });
  });
  it("jest-junit writes them when told to", () => {
    expect(env("  command: npx jest $TEST_FILES\n  parallelism: 2\n  split: src/**/*.test.js\n")).toEqual({ JEST_JUNIT_ADD_FILE_ATTRIBUTE: "true" });
  });
  it("what the spec sets itself is left as it is; by name needs no file names", () => {
    expect(env("  command: pytest $TEST_FILES\n  environment: { PYTEST_ADDOPTS: -x }\n  parallelism: 2\n  split: tests/*.py\n")).toEqual({
      PYTEST_ADDOPTS: "-x",
    });
    expect(env("  command: pytest $TEST_FILES\n  parallelism: 2\n  split: { glob: tests/*.py, by: name }\n")).toEqual({});
  });
  it("a runner that writes them already (rspec_junit_formatter) says nothing; an unknown one is a warning", () => {
    expect(compile("  command: rspec --format RspecJunitFormatter $TEST_FILES\n  parallelism: 2\n  split: spec/*.rb\n").diagnostics).toEqual([]);
    const d = compile("  command: ./test.sh $TEST_FILES\n  parallelism: 2\n  split: t/*\n").diagnostics;
    expect(d.map((x) => [x.code, x.severity])).toEqual([["GC1034", "warning"]]);
  });
});
