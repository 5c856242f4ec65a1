import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compileSpec } from "../../src/index.js";
import { portableRegexProblem } from "../../src/spec/regex.js";
import { ROOT, run } from "../helpers.js";

// The three readers of a deploy regex, for real: CircleCI's (Java, whole match), deploy.sh's
// (bash [[ =~ ^(re)$ ]], POSIX ERE) and the validator's (JavaScript).
function java(pairs: [string, string][]): string[] {
  const r = run("java", [join(ROOT, "test/tools/java/RegexMatch.java")], { input: pairs.map(([p, v]) => `${p}\t${v}\n`).join("") });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").slice(0, pairs.length);
}
function bash(pairs: [string, string][]): string[] {
  const script = `while IFS=$'\\t' read -r p v; do if [[ $v =~ ^($p)$ ]]; then echo 1; elif [ $? = 1 ]; then echo 0; else echo E; fi; done`;
  const r = run("bash", ["-c", script], { input: pairs.map(([p, v]) => `${p}\t${v}\n`).join("") });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").slice(0, pairs.length);
}

// A small pseudo-random generator: the same cases on every run.
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const ATOMS = ["a", "b", "-", "/", ".", "[ab]", "[^a]", "[a-c]", "[-a]", "[]a]", "\\.", "\\-", "\\/", "\\*", "x"];
const OPS = ["*", "+", "?", "{1,2}", "{2}", "{0,}"];

function randomRegex(next: () => number): string {
  let out = "";
  const n = 1 + Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.12) out += "(" + randomRegex(next) + ")";
    else if (r < 0.2) out += "|";
    else if (r < 0.24) out += ["^", "$"][Math.floor(next() * 2)]!;
    else out += ATOMS[Math.floor(next() * ATOMS.length)]!;
    if (next() < 0.3) out += OPS[Math.floor(next() * OPS.length)]!;
  }
  return out;
}

describe("deploy regexes mean the same to CircleCI and to deploy.sh", () => {
  it("every regex the validator accepts matches the same names in Java and in bash", () => {
    const next = rng(42);
    const pairs: [string, string][] = [];
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const re = randomRegex(next);
      try {
        new RegExp(re, "u");
      } catch {
        continue;
      }
      if (portableRegexProblem(re)) continue;
      accepted++;
      for (let j = 0; j < 12; j++) {
        let v = "";
        const len = Math.floor(next() * 6);
        for (let k = 0; k < len; k++) v += "ab-/.x*c"[Math.floor(next() * 8)];
        pairs.push([re, v]);
      }
    }
    expect(accepted).toBeGreaterThan(150);
    const j = java(pairs);
    const b = bash(pairs);
    const differ = pairs.filter((_p, i) => j[i] !== b[i]).map(([p, v], i) => `${p} on '${v}': java ${j[i]}, bash ${b[i]}`);
    expect(differ).toEqual([]);
    expect(j.filter((x) => x === "1").length).toBeGreaterThan(100); // the cases exercise matches, not only misses
  });

  it("what a user writes in real rules reads alike once accepted", () => {
    const cases: [string, string][] = [
      ["release-[0-9]+", "release-12"],
      ["release-[0-9]+", "release-"],
      ["v[0-9]+\\.[0-9]+\\.[0-9]+", "v1.2.3"],
      ["v[0-9]+\\.[0-9]+\\.[0-9]+", "v1x2.3"],
      ["main|release/.*", "release/2026"],
      ["main|release/.*", "mainline"],
      ["feature\\/[a-z-]+", "feature/new-ui"],
    ];
    for (const [re] of cases) expect(portableRegexProblem(re)).toBeUndefined();
    expect(bash(cases)).toEqual(java(cases));
  });

  it.each([
    ["release-\\d+", "release-12", "[0-9]"],
    ["(?:main|dev)", "main", "(...)"],
    ["v[\\d.]+", "v1.2", "backslash inside"],
    ["a+?", "", "write '+'"],
    ["[[:digit:]]+", "12", "[0-9]"],
  ])("%s is refused: Java and bash disagree on it, and the message gives the rewrite", (re, value, hint) => {
    const problem = portableRegexProblem(re);
    expect(problem?.message).toContain(hint);
    const [j] = java([[re, value]]);
    const [b] = bash([[re, value]]);
    expect(`${j}/${b}`).not.toBe("1/1");
  });

  it("the diagnostic points at the construct inside the regex", () => {
    const { diagnostics } = compileSpec("image: a/b\ndeploy:\n  rules:\n    - branch: /release-\\d+/\n      tags: [x]\n");
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(["GC1019 4:24"]);
    expect(diagnostics[0]!.message).toContain("[0-9]");
    const quoted = compileSpec("image: a/b\ndeploy:\n  rules:\n    - tag: ['v1', '/(?:v|r)[0-9]+/']\n      tags: [x]\n").diagnostics;
    expect(quoted.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(["GC1019 4:21"]);
  });
});
