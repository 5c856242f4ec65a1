import { Codes, type Diagnostic } from "../diagnostics.js";
import validateSchema from "./generated/validate-spec.js";
import { parsePointer, type SourceDoc } from "./load.js";
import { didYouMean } from "./suggest.js";

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
  parentSchema?: { properties?: Record<string, unknown> };
}

/** What each named pattern means, for people. */
const patternHelp: Record<string, string> = {
  identifier: "a name of lowercase letters, digits, '-' and '_', starting with a letter (at most 63 characters)",
  envName: "an environment variable name (letters, digits and '_', not starting with a digit)",
  serviceEnvName: "an environment variable name docker takes (no '=', spaces or control characters)",
  safeString: "a single line of text without control characters",
  relPath: "a path without control characters",
  text: "text without NUL characters",
  splitGlob: "a glob of test files without spaces, quotes, backslashes, '$' or backticks (TEST_FILES is space-separated)",
};

/** Validates the document against schemas/gen-circle.schema.json (precompiled: no compile at run time). */
export function validateShape(src: SourceDoc): Diagnostic[] {
  if (validateSchema(src.value)) return [];
  const errors = prune((validateSchema.errors ?? []) as AjvError[]);
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = toDiagnostic(src, e);
    const key = `${d.line}:${d.column}:${d.code}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/**
 * ajv reports every failed branch of a `oneOf`; keep the errors of the branch the value was meant
 * for (the one whose type matched) and merge pure type mismatches into one message.
 */
function prune(errors: AjvError[]): AjvError[] {
  const informative = (e: AjvError) => !["type", "oneOf", "anyOf", "enum", "const", "if"].includes(e.keyword);
  const deeper = (f: AjvError, e: AjvError) => f.instancePath.startsWith(e.instancePath + "/");
  const kept = errors.filter((e) => {
    // The nested errors of propertyNames name the key; the summary adds nothing.
    if (e.keyword === "propertyNames") return false;
    if (e.keyword === "oneOf" || e.keyword === "anyOf") {
      return !errors.some((f) => f !== e && f.keyword !== e.keyword && (f.instancePath === e.instancePath || deeper(f, e)));
    }
    if (e.keyword === "type" || e.keyword === "enum" || e.keyword === "const") {
      // A branch that failed deeper down was the one meant: its errors say more.
      return !errors.some((f) => deeper(f, e) || (informative(f) && f.instancePath === e.instancePath));
    }
    return true;
  });
  // Several type/enum errors at one path (one per oneOf branch) become one.
  const byPath = new Map<string, AjvError[]>();
  for (const e of kept) {
    if (e.keyword === "type" || e.keyword === "enum" || e.keyword === "const" || e.keyword === "oneOf") {
      const list = byPath.get(e.instancePath) ?? [];
      list.push(e);
      byPath.set(e.instancePath, list);
    }
  }
  return kept.filter((e) => {
    const group = byPath.get(e.instancePath);
    if (!group || group.length < 2 || group[0] !== e) return !group || group.length < 2;
    const expected = new Set<string>();
    for (const g of group) {
      if (g.keyword === "type")
        String(g.params.type)
          .split(",")
          .forEach((t) => expected.add(t));
      if (g.keyword === "enum") (g.params.allowedValues as unknown[]).forEach((v) => expected.add(JSON.stringify(v)));
      if (g.keyword === "const") expected.add(JSON.stringify(g.params.allowedValue));
    }
    e.keyword = "type";
    e.params = { type: [...expected].join(",") };
    return true;
  });
}

/** What a renderer needs to say an error: the error, where it is and the value found there. */
interface Rendering {
  e: AjvError;
  path: string[];
  value: unknown;
  /** the value's name in a sentence: `'image.name'`, or "The spec" for the document */
  where: string;
  /** the position of a path of the spec, and its JSON pointer */
  at(p: (string | number)[], where?: "key" | "value"): Pick<Diagnostic, "line" | "column" | "path">;
}
type Renderer = (r: Rendering) => Omit<Diagnostic, "severity" | "file">;

function toDiagnostic(src: SourceDoc, e: AjvError): Diagnostic {
  const path = parsePointer(e.instancePath);
  const rendering: Rendering = {
    e,
    path,
    value: getIn(src.value, path),
    where: path.length ? `'${path.join(".")}'` : "The spec",
    at: (p, where = "value") => ({ ...src.position(p, where), path: "/" + p.join("/") }),
  };
  // A keyword without a renderer of its own gets ajv's message.
  const render = RENDERERS.get(e.keyword) ?? renderOther;
  return { severity: "error", file: src.file, ...render(rendering) };
}

const renderUnknownKey: Renderer = ({ e, path, at }) => {
  const key = String(e.params.additionalProperty);
  const allowed = Object.keys(e.parentSchema?.properties ?? {});
  const hint = didYouMean(key, allowed);
  return {
    code: Codes.unknownKey,
    message:
      `Unknown key '${key}'${path.length ? ` in '${path.join(".")}'` : ""}.` +
      (hint ? ` Did you mean '${hint}'?` : "") +
      ` Expected one of: ${allowed.join(", ")}.`,
    ...at([...path, key], "key"),
  };
};

const renderMissingKey: Renderer = ({ e, path, where, at }) => {
  const key = String(e.params.missingProperty);
  return { code: Codes.missingKey, message: `${where} needs the key '${key}'. Add it, e.g. '${key}: ${exampleFor(key)}'.`, ...at(path) };
};

const renderWrongType: Renderer = ({ e, path, value, where, at }) => {
  const options = String(e.params.type).split(",");
  const words = options.filter((o) => o.startsWith('"')).map((o) => JSON.parse(o) as string);
  const hint = typeof value === "string" ? didYouMean(value, words) : undefined;
  return {
    code: Codes.wrongType,
    message: `${where} must be ${listTypes(String(e.params.type))}, got ${describe(value)}.` + (hint ? ` Did you mean '${hint}'?` : ""),
    ...at(path),
  };
};

const renderNotAllowed: Renderer = ({ e, path, value, where, at }) => {
  const allowed = (e.params.allowedValues as unknown[] | undefined) ?? [e.params.allowedValue];
  const hint = typeof value === "string" ? didYouMean(value, allowed.map(String)) : undefined;
  // "1" for 1: the right value of the wrong type, which would read as if the input were right.
  const typo = allowed.find((v) => typeof v !== typeof value && String(v) === String(value));
  return {
    code: Codes.notAllowed,
    message:
      typo !== undefined
        ? `${where} must be the ${typeof typo} ${JSON.stringify(typo)}, got the ${typeof value} ${JSON.stringify(value)}: write it without quotes.`
        : `${where} must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(value)}.` + (hint ? ` Did you mean '${hint}'?` : ""),
    ...at(path),
  };
};

// A pattern failed on a key (propertyNames) or on a value: the named pattern says what is wanted.
const renderPattern: Renderer = (r) => {
  const { e, path, value, where, at } = r;
  const name = e.propertyName ?? (e.params.propertyName as string | undefined);
  if ((e.keyword === "propertyNames" || e.propertyName !== undefined) && name !== undefined) return renderKeyName(r, name);
  const def = /#\/definitions\/(\w+)\/pattern$/.exec(e.schemaPath)?.[1];
  const unsafe = def === "safeString" || def === "relPath" || def === "text";
  return {
    code: unsafe ? Codes.unsafeText : Codes.invalidValue,
    message: `${where} must be ${patternHelp[def ?? ""] ?? `text matching ${String(e.params.pattern)}`}, got ${describe(value)}.`,
    ...at(path),
  };
};

function renderKeyName({ e, path, where, at }: Rendering, name: string): ReturnType<Renderer> {
  const nameDef = /#\/definitions\/(\w+)/.exec(e.schemaPath)?.[1];
  return {
    code: Codes.invalidValue,
    message: `Key '${name}' in ${where} must be ${patternHelp[nameDef ?? ""] ?? "a valid name"}.`,
    ...at([...path, name], "key"),
  };
}

const renderOther: Renderer = ({ e, path, value, where, at }) => ({
  code: Codes.invalidValue,
  message: `${where} ${e.message ?? "is invalid"}, got ${describe(value)}.`,
  ...at(path),
});

/** The renderer of each ajv keyword. */
const RENDERERS = new Map<string, Renderer>([
  ["additionalProperties", renderUnknownKey],
  ["required", renderMissingKey],
  ["type", renderWrongType],
  ["enum", renderNotAllowed],
  ["const", renderNotAllowed],
  ["pattern", renderPattern],
  ["propertyNames", renderPattern],
]);

function getIn(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p];
  return cur;
}

function listTypes(t: string): string {
  const names = t
    .split(",")
    .map((x) => (x.startsWith('"') ? x : x === "object" ? "a mapping" : x === "array" ? "a list" : x === "integer" ? "an integer" : `a ${x}`));
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0]!;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing (null)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  return `${typeof v} ${String(v)}`;
}

function exampleFor(key: string): string {
  const examples: Record<string, string> = {
    name: "myorg/myapp",
    image: "postgres:15",
    command: "npm test",
    rules: "[{branch: main, tags: [latest]}]",
    tags: "[latest]",
    username: "DOCKER_LOGIN",
    password: "DOCKER_PASSWORD",
    url: "docker.io",
    strategy: "save-load",
    type: "machine",
  };
  return examples[key] ?? "...";
}
