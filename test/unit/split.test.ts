import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { globTests, junitTimings, parseDuration, splitTests } from "../../src/run/split.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const files = ["tests/a_test.py", "tests/unit/b_test.py", "tests/unit/deep/c_test.py", "src/app.py", "tests/.hidden_test.py", "README.md"];
const shares = (by: "name" | "filesize" | "timings", names: string[], total: number, extra: Partial<Parameters<typeof splitTests>[0]> = {}) =>
  Array.from({ length: total }, (_, index) => splitTests({ names, by, index, total, ...extra }).share);

describe("circleci tests glob (CircleCI's patterns)", () => {
  it("* and ? stop at a folder, ** crosses folders, {a,b} alternates; sorted", () => {
    expect(globTests(["tests/*_test.py"], files)).toEqual(["tests/a_test.py"]);
    expect(globTests(["tests/**/*_test.py"], files)).toEqual(["tests/a_test.py", "tests/unit/b_test.py", "tests/unit/deep/c_test.py"]);
    expect(globTests(["{src,tests}/?_test.py", "./README.md"], files)).toEqual(["README.md", "tests/a_test.py"]);
  });
});

describe("circleci tests split", () => {
  const names = ["t/e.sh", "t/a.sh", "t/c.sh", "t/b.sh", "t/d.sh"];

  it("by name: alphabetical, dealt in turn; every file once across the nodes", () => {
    expect(shares("name", names, 2)).toEqual([
      ["t/a.sh", "t/c.sh", "t/e.sh"],
      ["t/b.sh", "t/d.sh"],
    ]);
    const three = shares("name", [...names, "", "t/a.sh"], 3);
    expect(three.flat().sort()).toEqual([...names].sort());
  });

  it("by timings: longest first, each to the least loaded node; a file with no timing weighs the mean", () => {
    const timings = new Map([
      ["t/a.sh", 9],
      ["t/e.sh", 6],
      ["t/b.sh", 1],
      ["t/c.sh", 1],
      ["t/d.sh", 1],
    ]);
    expect(shares("timings", names, 2, { timings })).toEqual([["t/a.sh"], ["t/b.sh", "t/c.sh", "t/d.sh", "t/e.sh"]]);
    const r = splitTests({ names: [...names, "./t/new.sh"], by: "timings", index: 0, total: 2, timings });
    expect(r.notes).toEqual(["Autodetected filename timings.", 'No timing found for "./t/new.sh"']);
    // new.sh weighs the mean, 3.6: a 9 | e 6, new 9.6 | b to node 0 (10) | c to node 1 (10.6) | d to node 0
    expect(r.share).toEqual(["t/a.sh", "t/b.sh", "t/d.sh"]);
  });

  it("by timings with --time-default: a file with no timing weighs that, not the mean", () => {
    const timings = new Map([
      ["t/a.sh", 4],
      ["t/b.sh", 4],
    ]);
    const names = ["t/a.sh", "t/b.sh", "t/new.sh"];
    // The mean (4) puts the new file beside a.sh on node 0; weighing 10 s, it is a node's whole load.
    expect(shares("timings", names, 2, { timings })).toEqual([["t/a.sh", "t/new.sh"], ["t/b.sh"]]);
    expect(shares("timings", names, 2, { timings, timeDefault: 10 })).toEqual([["t/new.sh"], ["t/a.sh", "t/b.sh"]]);
  });

  it("--time-default reads Go durations, as CircleCI's CLI does", () => {
    expect(parseDuration("10s")).toBe(10);
    expect(parseDuration("1m30s")).toBe(90);
    expect(parseDuration("500ms")).toBeCloseTo(0.5);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "10", "10 s", "s", "10x", "1m30", "-1s", "10s "]) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("by timings with none stored: by name, and says so", () => {
    const r = splitTests({ names, by: "timings", index: 1, total: 2 });
    expect(r.share).toEqual(["t/b.sh", "t/d.sh"]);
    expect(r.notes[0]).toMatch(/No timing data found .* splitting by name/);
  });

  it("by file size: largest first", () => {
    const sizes = new Map([
      ["t/a.sh", 10],
      ["t/b.sh", 500],
      ["t/c.sh", 20],
      ["t/d.sh", 30],
      ["t/e.sh", 40],
    ]);
    expect(shares("filesize", names, 2, { sizes })).toEqual([["t/b.sh"], ["t/a.sh", "t/c.sh", "t/d.sh", "t/e.sh"]]);
  });

  it("timings from JUnit: testcase file, else its testsuite's, summed per file", () => {
    const xml = `<testsuites><testsuite name="s" file="./t/a.sh"><testcase name="x" time="1.5"/><testcase name="y" time="2"/></testsuite>
      <testsuite name="u"><testcase name="z" file="t/b.sh" time="0.25"/><testcase name="no-file" time="9"/></testsuite></testsuites>`;
    expect(Object.fromEntries(junitTimings(xml))).toEqual({ "t/a.sh": 3.5, "t/b.sh": 0.25 });
  });
});
