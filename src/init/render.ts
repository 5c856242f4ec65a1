import { Document, isMap, isNode, isScalar, isSeq, Scalar, visit } from "yaml";
import type { ImageWithTest, ProjectService, ProjectSpec, ProjectTest } from "../spec/types.js";
import type { ImageGuess } from "./images.js";
import { inFolder, type Todo } from "./repo.js";
import type { ServiceGuess } from "./services.js";

type ImageSettings = Pick<ImageWithTest, "name" | "dockerfile" | "context" | "target" | "build_args" | "hash">;
type TestSettings = Exclude<ProjectTest, string>;
type ServiceSettings = Exclude<ProjectService, string>;

/** Above the spec: what the file is, and its schema for editors (yaml-language-server reads it). */
const HEADER = [
  "gen-circle spec: `npx gen-circle generate` turns it into .circleci/config.yml.",
  "yaml-language-server: $schema=./node_modules/gen-circle/schemas/gen-circle.schema.json",
];

/** The spec init writes: one image (`image:`, the test at the top level) or several (`images:`, each with its test). */
export function specOf(images: readonly [ImageGuess, ...ImageGuess[]], services: readonly ServiceGuess[]): ProjectSpec {
  const [first, ...rest] = images;
  // Keys in the order they are assigned: version, image(s), services, then the one image's test.
  const spec: ProjectSpec = { version: 1 };
  if (rest.length) spec.images = [withTest(first), ...rest.map(withTest)];
  else spec.image = imageSettings(first);
  if (services.length) spec.services = Object.fromEntries(services.map((s) => [s.name, serviceSettings(s)]));
  if (!rest.length) spec.test = testSettings(first);
  return spec;
}

/** Build settings; the defaults (the Dockerfile at the context's root, the root as context) left out. */
function imageSettings(img: ImageGuess): ImageSettings {
  const out: ImageSettings = { name: img.name };
  if (img.dockerfile && img.dockerfile !== inFolder(img.context, "Dockerfile")) out.dockerfile = img.dockerfile;
  if (img.context !== ".") out.context = img.context;
  if (img.target) out.target = img.target;
  if (Object.keys(img.buildArgs).length) out.build_args = values(img.buildArgs);
  const [hash, ...more] = img.hash;
  if (hash !== undefined) out.hash = [hash, ...more];
  return out;
}

const withTest = (img: ImageGuess): ImageWithTest => ({ ...imageSettings(img), test: testSettings(img) });

function testSettings(img: ImageGuess): TestSettings {
  const out: TestSettings = { command: img.test.command };
  if (Object.keys(img.test.environment).length) out.environment = values(img.test.environment);
  if (img.test.entrypoint !== undefined) out.entrypoint = img.test.entrypoint;
  return out;
}

function serviceSettings(svc: ServiceGuess): ServiceSettings {
  const out: ServiceSettings = { image: svc.image };
  if (svc.aliases?.length) out.aliases = svc.aliases;
  if (svc.command?.length) out.command = svc.command;
  if (svc.ready) out.ready = svc.ready;
  if (Object.keys(svc.environment).length) out.environment = values(svc.environment);
  return out;
}

/**
 * Build args and environment values: one that reads back as the same text when written as a
 * number is written as one (`UID: 1000`, as compose files write it; the schema takes numbers
 * there and the pipeline passes them on as text). Any other value stays a string.
 */
function values(record: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, /^\d+(\.\d+)?$/.test(v) && String(Number(v)) === v ? Number(v) : v]));
}

/**
 * A single word (a name, a path, `pytest`) is written plain, other text double-quoted: easier to
 * read than plain text with spaces, and yes/no/on/off stay strings for YAML 1.1 readers too. A
 * style only: the library still quotes what would not read back as the same string (`"1000"`).
 */
const isWord = (s: string) => /^[\w./:@-]+$/.test(s) && !/^[-:@]/.test(s) && !/^(true|false|null|yes|no|on|off)$/i.test(s);

/** The spec as YAML text, through the library (it escapes every value), with fixed options: the same spec gives the same bytes. */
export function renderSpec(spec: ProjectSpec, todos: readonly Todo[] = []): string {
  // No anchors and aliases for values that happen to be the same object.
  const doc = new Document(spec, { aliasDuplicateObjects: false });
  for (const todo of todos) addTodo(doc, todo);
  // On the top map rather than the document, so that no blank line follows the header.
  doc.contents!.commentBefore = HEADER.map((line) => ` ${line}`).join("\n");
  visit(doc, {
    // Lists of words on one line: `hash: [Dockerfile, go.mod]`, `command: [bundle, exec, rspec]`.
    Seq: (_, seq) => {
      if (seq.items.every(isScalar)) seq.flow = true;
    },
    Scalar: (key, node) => {
      if (key !== "key" && typeof node.value === "string" && !isWord(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0, minContentWidth: 0, indent: 2, indentSeq: true, flowCollectionPadding: false, doubleQuotedAsJSON: true });
}

/**
 * A `# TODO:` comment above the key (or list item) at `todo.at`, or above its nearest part that
 * the spec has (a TODO about a value init left out goes above the mapping that would hold it).
 */
function addTodo(doc: Document, { at, text }: Todo): void {
  let node: unknown = doc.contents;
  let target: { commentBefore?: string | null } | undefined = doc.contents ?? undefined;
  for (const part of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === part);
      if (!pair || !isNode(pair.key)) break;
      target = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number" && isNode(node.items[part])) {
      target = node.items[part] as { commentBefore?: string | null };
      node = node.items[part];
    } else break;
  }
  if (!target) return;
  const line = ` TODO: ${text}`;
  target.commentBefore = target.commentBefore ? `${target.commentBefore}\n${line}` : line;
}
