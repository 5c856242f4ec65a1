import { describe, expect, it } from "vitest";
import { Codes } from "../../src/diagnostics.js";
import { compileSpec } from "../../src/index.js";
import { load } from "../../src/spec/load.js";
import { emptySpecDiagnostic, normalize } from "../../src/spec/normalize.js";

// One row per rule: the spec, then the code and the line:column it must be reported at.
const cases: { name: string; spec: string; code: string; at: string; says?: RegExp; files?: string[]; dockerfile?: string }[] = [
  { name: "yaml syntax", spec: "image: a/b\ntest: [x\n", code: "GC1001", at: "3:1" },
  {
    name: "key indented too far",
    spec: "image:\n  name: a/b\n   hash: [Dockerfile]\n",
    code: "GC1001",
    at: "3:4",
    says: /'hash' is indented 3 spaces, more than 'name' on line 2 \(2\).*Align it with 'name'/,
  },
  {
    name: "key indented too little",
    spec: "image:\n  name: a/b\n hash: [Dockerfile]\ntest: x\n",
    code: "GC1001",
    at: "3:2",
    says: /'hash' is indented 1 space, less than the line above it \(2\)/,
  },
  { name: "duplicate key", spec: "image: a/b\nimage: c/d\n", code: "GC1021", at: "2:1", says: /The key 'image' appears twice/ },
  { name: "unknown top-level key with a suggestion", spec: "image: a/b\ntset: x\n", code: "GC1002", at: "2:1", says: /Did you mean 'test'/ },
  { name: "unknown nested key", spec: "image:\n  name: a/b\n  contxt: .\n", code: "GC1002", at: "3:3", says: /Did you mean 'context'/ },
  { name: "wrong type", spec: "image: a/b\ntest:\n  command: x\n  parallelism: two\n", code: "GC1003", at: "4:16", says: /must be an integer/ },
  { name: "missing key", spec: "image: a/b\ndeploy:\n  registry: docker.io\n", code: "GC1004", at: "3:3", says: /needs the key 'rules'/ },
  {
    name: "parallel nodes with nothing to share",
    spec: "image: a/b\ntest:\n  command: make test\n  parallelism: 4\n",
    code: "GC1033",
    at: "4:16",
    says: /parallelism: 4 would run the whole test command on each of 4 nodes .*Add 'split:'/,
  },
  {
    name: "split by timings, a runner not known to write file names",
    spec: "image: a/b\ntest:\n  command: make test\n  parallelism: 2\n  split: tests/*\n",
    code: "GC1034",
    at: "5:10",
    says: /reads the 'file' attribute of each testcase/,
  },
  {
    name: "pull logins without a login",
    spec: "image: a/b\nregistries:\n  hub:\n    url: docker.io\n    pull: true\n",
    code: "GC1004",
    at: "5:11",
    says: /logs in before pulls \(pull: true\) but has no 'login:'/,
  },
  { name: "enum with suggestion", spec: "image: a/b\ncache: registy\n", code: "GC1003", at: "2:8", says: /Did you mean 'registry'/ },
  { name: "version", spec: "version: 2\nimage: a/b\n", code: "GC1005", at: "1:10" },
  { name: "provenance not a boolean", spec: "image:\n  name: a/b\n  provenance: yes please\n", code: "GC1003", at: "3:15", says: /must be a boolean/ },
  {
    name: "version as a string",
    spec: 'version: "1"\nimage: a/b\n',
    code: "GC1005",
    at: "1:10",
    says: /must be the number 1, got the string "1": write it without quotes/,
  },
  { name: "invalid image name", spec: "image: My_App\n", code: "GC1010", at: "1:8" },
  { name: "image name with a tag", spec: "image: myorg/app:1.0\n", code: "GC1011", at: "1:8", says: /Drop the ':1.0'/ },
  { name: "invalid service image", spec: "image: a/b\nservices:\n  db: 'postgres 15'\n", code: "GC1010", at: "3:7" },
  {
    name: "cache repository that is no reference",
    spec: "image: a/b\ncache:\n  strategy: registry\n  repository: Bad Name\n",
    code: "GC1010",
    at: "4:15",
    says: /is not a repository name/,
  },
  // A tag or digest where a repository is wanted is GC1011, in cache.repository as in image.name.
  {
    name: "cache repository with a tag",
    spec: "image: a/b\ncache:\n  strategy: registry\n  repository: localhost:5000/cache:1\n",
    code: "GC1011",
    at: "4:15",
    says: /"localhost:5000\/cache:1" is not a repository name \(no tag\)/,
  },
  {
    name: "cache repository with a digest",
    spec: `image: a/b\ncache:\n  strategy: registry\n  repository: localhost:5000/cache@sha256:${"0".repeat(64)}\n`,
    code: "GC1011",
    at: "4:15",
  },
  { name: "invalid regex", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: /a[/\n      tags: [x]\n", code: "GC1012", at: "4:15" },
  { name: "lookaround regex", spec: "image: a/b\ndeploy:\n  rules:\n    - tag: /(?!x)v1/\n      tags: [x]\n", code: "GC1019", at: "4:13" },
  { name: "duplicate image ids", spec: "images:\n  - name: a/app\n  - name: b/app\n", code: "GC1013", at: "3:11" },
  { name: "hash glob matches nothing", spec: "image:\n  name: a/b\n  hash: [Dockerfile, 'reqs/*.txt']\n", code: "GC1014", at: "3:22", files: ["Dockerfile"] },
  { name: "undefined registry", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: main\n      tags: [x]\n      registry: ecr\n", code: "GC1015", at: "6:17" },
  { name: "control characters", spec: 'image: a/b\ntest:\n  command: x\n  results: "/r\\nx"\n', code: "GC1017", at: "4:12" },
  { name: "unknown placeholder", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: main\n      tags: ['{commit}']\n", code: "GC1018", at: "5:14" },
  { name: "tag placeholder in a branch rule", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: main\n      tags: ['{tag}']\n", code: "GC1018", at: "5:14" },
  { name: "invalid docker tag", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: main\n      tags: ['-bad']\n", code: "GC1018", at: "5:14" },
  { name: "no image", spec: "test: make test\n", code: "GC1020", at: "1:1", says: /needs 'image:'/ },
  // The opposite mistake has a code of its own (it once shared GC1020).
  { name: "image and images", spec: "image: a/b\nimages:\n  - name: c/d\n", code: "GC1032", at: "2:1", says: /not both/ },
  { name: "registry cache without a registry", spec: "image: a/b\ncache: registry\n", code: "GC1023", at: "2:8" },
  { name: "rule with branch and tag", spec: "image: a/b\ndeploy:\n  rules:\n    - branch: main\n      tag: v1\n      tags: [x]\n", code: "GC1024", at: "4:7" },
  { name: "path outside the repository", spec: "image:\n  name: a/b\n  dockerfile: ../Dockerfile\n", code: "GC1025", at: "3:15" },
  {
    name: "hash input outside the build context",
    spec: "image:\n  name: a/b\n  context: api\n  hash: [api/Dockerfile, api/go.mod, web/package.json]\n",
    code: "GC1040",
    at: "4:38",
    says: /"web\/package.json" is outside the build context "api": the build cannot read it.*Remove it, or set 'context:'/,
  },
  {
    name: "build arg with a variable gen-circle does not fill in",
    spec: "image:\n  name: a/b\n  build_args:\n    NODE_ENV: ${NODE_ENV:-production}\n",
    code: "GC1041",
    at: "4:15",
    says: /Build arg NODE_ENV holds "\$\{NODE_ENV:-production\}": gen-circle passes build args as written/,
  },
  {
    name: "among several images, one nothing tests or deploys",
    spec: "images:\n  - name: a/app\n    test: make test\n  - name: a/tool\n    dockerfile: tool.Dockerfile\n",
    code: "GC1042",
    at: "4:5",
    says: /Nothing tests or deploys tool, so no job builds it/,
  },
  {
    name: "test entrypoint of several words",
    spec: "image: a/b\ntest:\n  command: tests\n  entrypoint: python -m pytest\n",
    code: "GC1043",
    at: "4:15",
    says: /entrypoint "python -m pytest" is several words, but docker runs the entrypoint as one program of that name\. The command is given to it as `sh -c COMMAND`: use ""/,
  },
  {
    name: "a test command that passes when the tests fail (a warning)",
    spec: "image: a/b\ntest:\n  command: pytest -x || true\n",
    code: "GC1045",
    at: "3:12",
    says: /The test command passes when the tests fail \('\|\| true'\)/,
  },
  {
    name: "Maven told never to fail (a warning)",
    spec: "image: a/b\ntest: mvn -B verify --fail-never\n",
    code: "GC1045",
    at: "2:7",
    says: /passes when the tests fail \('--fail-never'\)/,
  },
  { name: "split glob outside the repository", spec: "image: a/b\ntest:\n  command: x\n  split: ../tests/*.py\n", code: "GC1025", at: "4:10" },
  {
    name: "split glob with a space",
    spec: "image: a/b\ntest:\n  command: x\n  split: { glob: ['tests/a b.py'] }\n",
    code: "GC1006",
    at: "4:19",
    says: /a glob of test files without spaces/,
  },
  { name: "relative container path", spec: "image: a/b\ntest:\n  command: x\n  results: out\n", code: "GC1026", at: "4:12" },
  { name: "empty spec", spec: "# nothing yet\n", code: "GC1027", at: "1:1" },
  {
    name: "dockerfile missing",
    spec: "image:\n  name: a/b\n  dockerfile: docker/Dockerfile\n",
    code: "GC1029",
    at: "3:15",
    files: ["Dockerfile"],
    says: /No Dockerfile at "docker\/Dockerfile"/,
  },
  { name: "default Dockerfile missing", spec: "image: a/b\n", code: "GC1029", at: "1:8", files: ["src/app.py"] },
  { name: "context missing", spec: "image:\n  name: a/b\n  context: app\n", code: "GC1030", at: "3:12", files: ["Dockerfile"] },
  {
    name: "hash misses what the Dockerfile copies before installing (a warning)",
    spec: "image:\n  name: a/b\n  hash: [Dockerfile, requirements/base.txt]\n",
    code: "GC1031",
    at: "3:9",
    files: ["Dockerfile", "requirements/base.txt", "requirements/test.txt", "app.py"],
    dockerfile: "FROM python:3.12\nCOPY requirements/ /r/\nRUN pip install -r /r/test.txt\nCOPY . /app\n",
    says: /copies "requirements" before its install step, but the hash does not cover requirements\/test.txt.*Add "requirements" to hash/,
  },
  {
    name: "a FROM reads an ARG nothing sets (a warning)",
    spec: "image:\n  name: a/b\n  build_args: { OTHER: 1 }\n",
    code: "GC1044",
    at: "3:15",
    files: ["Dockerfile"],
    dockerfile: "ARG BASE\nFROM ${BASE} AS build\nRUN make\n",
    says: /the FROM of stage 'build' reads ARG BASE, which has no default and no build arg here: Docker fills it in as empty, and the build fails/,
  },
  { name: "environment name", spec: "image: a/b\ntest:\n  command: x\n  environment:\n    1X: y\n", code: "GC1006", at: "5:5" },
  {
    name: "deploy context that is not a context's name",
    spec: "image: a/b\ndeploy:\n  registry: r.example.com\n  context: [ok, 'bad;name']\n  rules: [{ branch: main, tags: [latest] }]\n",
    code: "GC1006",
    at: "4:17",
  },
];

describe("validation rules", () => {
  it.each(cases)("$name → $code at $at", ({ spec, code, at, says, files, dockerfile }) => {
    const matcher = (p: string) => (f: string) =>
      p === "." || f === p || f.startsWith(p + "/") || new RegExp("^" + p.replace(/\./g, "\\.").replace(/\*/g, "[^/]*") + "$").test(f);
    const { spec: ok, diagnostics } = compileSpec(spec, {
      fileName: "gen-circle.yml",
      readFile: dockerfile ? (p) => (p === "Dockerfile" ? dockerfile : undefined) : undefined,
      listFiles: dockerfile ? (p) => (files ?? []).filter(matcher(p)) : undefined,
      matchesFiles: files
        ? (p) =>
            p === "." || files.some((f) => f === p || f.startsWith(p + "/") || new RegExp("^" + p.replace(/\./g, "\\.").replace(/\*/g, "[^/]*") + "$").test(f))
        : undefined,
    });
    const d = diagnostics.find((x) => x.code === code);
    if (d?.severity === "warning")
      expect(ok).toBeDefined(); // a warning generates all the same
    else expect(ok).toBeUndefined();
    expect(d, JSON.stringify(diagnostics, null, 1)).toBeDefined();
    expect(`${d!.line}:${d!.column}`).toBe(at);
    expect(d!.file).toBe("gen-circle.yml");
    if (says) expect(d!.message).toMatch(says);
  });

  it.each([
    ["deploy:\n  rules:\n    - branch: main\n      tags: latest\n"],
    ["deploy:\n  rules: main\n"],
    ["deploy: main\n"],
    ["test:\n  command: x\n  environment: FOO\n"],
    ["test:\n  command: x\n  parallelism: two\n  split: 3\n"],
    ["test: 3\n"],
    ["services:\n  db: 3\n"],
    ["services: [postgres]\n"],
    ["cache: 3\n"],
    ["registries: [hub]\n"],
    ["self_test: run\n"],
    ["executor: [machine]\n"],
  ])("a wrong type (%j) does not hide the other mistakes", (extra) => {
    const { diagnostics } = compileSpec(`image:\n  name: My_App\n  hash: Dockerfile\n${extra}`);
    expect(diagnostics.map((d) => d.code)).toContain("GC1010"); // the image name, checked all the same
    expect(diagnostics.map((d) => d.code)).toContain("GC1003");
  });

  it("every spec code of the diagnostics table is exercised here", () => {
    // From the table, not a hand list: a new code without a case fails. GC1028 (a file that
    // cannot be read) is the CLI's, tested in cli.test.ts.
    const codes = new Set(cases.map((c) => c.code));
    const spec = Object.values(Codes).filter((c) => c.startsWith("GC10") && c !== Codes.fileUnreadable);
    expect(spec.filter((c) => !codes.has(c))).toEqual([]);
  });

  it("neither image: nor images: is GC1020, both is GC1032: one code per mistake", () => {
    const codes = (text: string) => compileSpec(text).diagnostics.map((d) => d.code);
    expect(codes("test: make test\n")).toEqual([Codes.imageMissing]);
    expect(codes("image: a/b\nimages:\n  - name: c/d\n")).toEqual([Codes.imageAndImages]);
  });

  it("a cache repository with a tag is GC1011 only, not GC1010", () => {
    const { diagnostics } = compileSpec("image: a/b\ncache:\n  strategy: registry\n  repository: localhost:5000/cache:1\n");
    expect(diagnostics.map((d) => d.code)).toEqual([Codes.imageNameWithTag]);
  });

  it("the empty spec is one diagnostic, whichever step finds it", () => {
    // compileSpec reports an empty document; normalize, a document that is no mapping: the same
    // diagnostic, built in one place (at the document: 1:1, path "").
    const empty = compileSpec("# nothing yet\n", { fileName: "gen-circle.yml" }).diagnostics;
    expect(empty).toEqual([emptySpecDiagnostic("gen-circle.yml")]);
    const { source } = load("# nothing yet\n", "gen-circle.yml");
    expect(normalize(source!.value as never, source!).diagnostics).toEqual(empty);
    expect(empty[0]).toMatchObject({ code: Codes.emptySpec, line: 1, column: 1, path: "" });
  });

  it.each([
    ["py.test -v --junitxml=/results/junit.xml ./tests", "/results"],
    ["pytest --junit-xml /out/report.xml", "/out"],
    ["gotestsum --junitfile /reports/unit.xml ./...", "/reports"],
    ["go test -v ./... 2>&1 | go-junit-report > /results/go.xml", "/results"],
    ["mocha --reporter mocha-junit-reporter --reporter-options mochaFile=/r/mocha.xml", "/r"],
    ["JEST_JUNIT_OUTPUT_DIR=/results/jest npx jest --reporters=jest-junit", "/results/jest"],
    ["npm test", undefined],
    ["pytest --junitxml=relative/junit.xml", undefined],
  ])("test results where %j writes JUnit: %s", (command, results) => {
    const { spec, diagnostics } = compileSpec(`image: myorg/app\ntest: ${JSON.stringify(command)}\n`);
    expect(diagnostics).toEqual([]);
    expect(spec!.images[0]!.test!.results).toBe(results);
  });

  it("a results folder written in the spec wins over the inferred one", () => {
    const { spec } = compileSpec("image: myorg/app\ntest:\n  command: pytest --junitxml=/a/j.xml\n  results: /b\n");
    expect(spec!.images[0]!.test!.results).toBe("/b");
  });

  it("a two-line spec is enough", () => {
    const { spec, diagnostics } = compileSpec("image: myorg/app\ntest: npm test\n");
    expect(diagnostics).toEqual([]);
    expect(spec!.images[0]).toMatchObject({ id: "app", dockerfile: "Dockerfile", context: ".", hash: ["Dockerfile", ".dockerignore"] });
    expect(spec!.cache.strategy).toBe("save-load");
    expect(spec!.executor).toEqual({ type: "machine", image: "ubuntu-2404:current", resourceClass: "medium" });
  });

  it("accepts registry hosts, digests and nested names", () => {
    const { diagnostics } = compileSpec(
      "image: registry.example.com:5000/team/sub/app\nservices:\n  db: postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n  r: localhost:5000/redis:7\n",
    );
    expect(diagnostics).toEqual([]);
  });
});

describe("service aliases", () => {
  it("one host name reaches one service: an alias that names another service is an error at the alias as written", () => {
    const { diagnostics } = compileSpec(
      [
        "version: 1",
        "image: { name: acme/app }",
        "services:",
        "  db: { image: postgres:16, aliases: [db, postgres] }",
        "  postgres: { image: postgres:16 }",
        "test: make test",
        "",
      ].join("\n"),
    );
    expect(diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([["GC1013", "/services/db/aliases/1", 4]]);
  });
});
