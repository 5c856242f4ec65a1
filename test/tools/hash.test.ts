import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, run, tmpTree } from "../helpers.js";

// `gen-circle hash` (node) and the generated hash.sh (bash) must agree byte for byte: one decides
// the cache key locally, the other on CircleCI.
const spec = `image:
  name: myorg/app
  build_args: { VERSION: "1.2" }
  hash:
    - Dockerfile
    - requirements/*.txt
    - "deps/**/*.lock"
    - docs dir
    - .hidden
    - "**/pkg.json"
    - "conf/[ab].ini"
`;
const dir = tmpTree({
  "gen-circle.yml": spec,
  Dockerfile: "FROM scratch\n",
  "requirements/base.txt": "flask\n",
  "requirements/dev extra.txt": "pytest\n",
  "requirements/notes.md": "not an input\n",
  "deps/a/b/c.lock": "c\n",
  "deps/top.lock": "top\n",
  "deps/a/skip.txt": "no\n",
  "docs dir/inside/file with spaces.txt": "x\n",
  ".hidden/secret.txt": "dot\n",
  "x/y/pkg.json": "{}\n",
  "pkg.json": "{}\n",
  "conf/a.ini": "a\n",
  "conf/c.ini": "c\n",
  "src/app.py": "print(1)\n",
  "sub/.git/pkg.json": "ignored: inside a .git folder\n",
});
symlinkSync("../Dockerfile", join(dir, "requirements/link.txt"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const both = () => {
  const node = cli(["hash"], dir);
  const bash = run("bash", [join(dir, ".circleci/gen-circle/hash.sh"), "app"], { cwd: "/", env: { ...process.env, GEN_CIRCLE_STATE: join(dir, ".state") } });
  expect(node.status, node.stderr).toBe(0);
  expect(bash.status, bash.stderr).toBe(0);
  return { node: node.stdout.trim(), bash: bash.stdout.trim() };
};

describe("image hash", () => {
  it("the CLI and the generated script compute the same hash and inputs", () => {
    expect(cli(["generate"], dir).status).toBe(0);
    const h = both();
    expect(h.node).toMatch(/^[0-9a-f]{16}$/);
    expect(h.bash).toBe(h.node);
    const nodeList = cli(["hash", "--list"], dir).stdout;
    const bashList = run("bash", [join(dir, ".circleci/gen-circle/hash.sh"), "app", "--list"]).stdout;
    expect(bashList).toBe(nodeList);
    expect(nodeList.trim().split("\n")).toEqual([
      ".hidden/secret.txt",
      "Dockerfile",
      "conf/a.ini",
      "deps/a/b/c.lock",
      "deps/top.lock",
      "docs dir/inside/file with spaces.txt",
      "pkg.json",
      "requirements/base.txt",
      "requirements/dev extra.txt",
      "x/y/pkg.json",
    ]);
  });

  it("changes when an input's content changes, in both", () => {
    const before = both().node;
    writeFileSync(join(dir, "requirements/dev extra.txt"), "pytest==8\n");
    const after = both();
    expect(after.node).not.toBe(before);
    expect(after.bash).toBe(after.node);
  });

  it("changes when an input is added, not when another file changes", () => {
    const before = both().node;
    writeFileSync(join(dir, "src/app.py"), "print(2)\n");
    writeFileSync(join(dir, "requirements/notes.md"), "still not an input\n");
    expect(both().node).toBe(before);
    writeFileSync(join(dir, "requirements/new.txt"), "requests\n");
    const after = both();
    expect(after.node).not.toBe(before);
    expect(after.bash).toBe(after.node);
  });

  it("build settings count: another build arg gives another hash", () => {
    const before = both().node;
    writeFileSync(join(dir, "gen-circle.yml"), spec.replace('"1.2"', '"1.3"'));
    expect(cli(["generate"], dir).status).toBe(0);
    const after = both();
    expect(after.node).not.toBe(before);
    expect(after.bash).toBe(after.node);
  });
});

describe("'.' as a hash input", () => {
  it("is the whole repository (but .git), in the CLI's check, its hash and hash.sh", () => {
    const d = tmpTree({ "gen-circle.yml": "image:\n  name: myorg/app\n  hash: ['.']\n", Dockerfile: "FROM x\n", "src/a b.txt": "a\n", ".git/HEAD": "ref\n" });
    try {
      expect(cli(["validate"], d).status).toBe(0);
      expect(cli(["generate"], d).status).toBe(0);
      const list = cli(["hash", "--list"], d).stdout;
      expect(list).toContain("src/a b.txt\n");
      expect(list).not.toContain(".git");
      expect(run("bash", [join(d, ".circleci/gen-circle/hash.sh"), "app", "--list"]).stdout).toBe(list);
      expect(run("bash", [join(d, ".circleci/gen-circle/hash.sh"), "app"]).stdout).toBe(cli(["hash"], d).stdout);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
