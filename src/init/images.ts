import { copySources, dockerInstructions, type Instruction } from "../dockerfile/inputs.js";
import { parseReference, repositoryOf } from "../spec/docker-ref.js";
import { buildOf, type Compose, type ComposeService } from "./compose.js";
import { hashInputs } from "./hash-inputs.js";
import { inFolder, lastInstruction, type Notes, type RepoView } from "./repo.js";
import { guessTest, type TestGuess } from "./test-command.js";

export interface ImageGuess {
  name: string;
  dockerfile?: string;
  context: string;
  target?: string;
  buildArgs: Record<string, string>;
  hash: string[];
  test: TestGuess;
}

/** Folders whose Dockerfiles are not the project's images (dependencies, samples, fixtures). */
const NOT_IMAGES = /(^|\/)(node_modules|vendor|third_party|\.git|\.devcontainer|examples?|samples?|docs?|test\/fixtures|testdata)\//;

/**
 * The root Dockerfile is the image; without one, each folder's Dockerfile is an image of its own
 * (a monorepo: images:), shallowest first.
 */
export function findDockerfiles(repo: RepoView, notes: Notes): string[] {
  const dockerfiles = repo.files.includes("Dockerfile")
    ? ["Dockerfile"]
    : repo.files
        .filter((f) => /(^|\/)Dockerfile$/.test(f) && !NOT_IMAGES.test(f))
        .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  if (!dockerfiles.length) notes.guessed.push("no Dockerfile found: add one, then set image.dockerfile");
  else notes.found.push(`${dockerfiles.length > 1 ? "Dockerfiles (one image each)" : "Dockerfile"}: ${dockerfiles.join(", ")}`);
  return dockerfiles;
}

interface ImageContext {
  repo: RepoView;
  compose: Compose;
  monorepo: boolean;
  notes: Notes;
}

/** One image per Dockerfile; with none, one image still (its Dockerfile to be added). */
export function guessImages(repo: RepoView, dockerfiles: readonly string[], compose: Compose, notes: Notes): [ImageGuess, ...ImageGuess[]] {
  const ctx: ImageContext = { repo, compose, notes, monorepo: dockerfiles.length > 1 };
  const [first, ...rest]: readonly (string | undefined)[] = dockerfiles; // first: undefined when there is none
  return [guessImage(ctx, first), ...rest.map((dockerfile) => guessImage(ctx, dockerfile))];
}

function guessImage(ctx: ImageContext, dockerfile: string | undefined): ImageGuess {
  const { repo, compose, notes, monorepo } = ctx;
  const instructions = dockerfile ? dockerInstructions(repo.read(dockerfile) ?? "") : [];
  const stage = lastStage(instructions);
  const builder = builderOf(compose, dockerfile, stage);
  const build = builder && buildOf(builder);
  const context = build?.context ?? contextOf(dockerfile, instructions, repo.files);
  const label = monorepo ? `${context}: ` : "";
  // A target other than the last stage is kept; the last stage is the whole Dockerfile.
  const target = build?.target && build.target !== stage ? build.target : undefined;
  if (target) notes.found.push(`${label}build target from ${compose.file}: ${target}`);
  const name = imageName(ctx, builder, context, label);
  const hash = hashInputs(repo, { dockerfile, context, instructions, label }, notes);
  const test = guessTest({ repo, compose, monorepo, context, instructions, hash, label }, notes);
  return { name, dockerfile, context, target, buildArgs: compose.reader.environment(build?.args), hash, test };
}

/** The name of the Dockerfile's last stage (`FROM node AS app`), if it has one. */
const lastStage = (instructions: readonly Instruction[]) => /\bAS\s+(\S+)\s*$/i.exec(lastInstruction(instructions, "FROM")?.args ?? "")?.[1];

/**
 * The compose service that builds this Dockerfile gives its context, target and name. Several
 * services may build it (an app and its asset watcher, shared with `<<: *app`): the one that
 * builds the whole Dockerfile (no target, or its last stage) is the image.
 */
function builderOf(compose: Compose, dockerfile: string | undefined, stage: string | undefined): ComposeService | undefined {
  if (!dockerfile) return undefined;
  const builders = Object.values(compose.services).filter((svc): svc is ComposeService => {
    const b = svc && buildOf(svc);
    return !!b && inFolder(b.context, b.dockerfile ?? "Dockerfile") === dockerfile;
  });
  return builders.find((svc) => [undefined, stage].includes(buildOf(svc)!.target)) ?? builders[0];
}

/** The image name from the compose service that builds it; else one to set, from the folder names. */
function imageName({ repo, compose, notes }: ImageContext, builder: ComposeService | undefined, context: string, label: string): string {
  const ref = typeof builder?.image === "string" ? parseReference(compose.reader.interpolate(builder.image)) : undefined;
  const name = ref && repositoryOf(ref);
  if (name) {
    notes.found.push(`${label}image name from ${compose.file}: ${name}`);
    return name;
  }
  const repoSlug =
    repo.name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "app";
  const folder =
    context === "."
      ? ""
      : `-${context
          .split("/")
          .pop()!
          .toLowerCase()
          .replace(/[^a-z0-9._-]+/g, "-")}`;
  const guess = `myorg/${repoSlug}${folder}`;
  notes.guessed.push(`${label}image name: ${guess} (set your registry's repository)`);
  return guess;
}

/**
 * The Dockerfile's build context when no compose file says: its own folder, unless what it copies
 * is found from the repository root and not from there (`docker build -f docker/Dockerfile .`).
 */
function contextOf(dockerfile: string | undefined, instructions: Instruction[], files: readonly string[]): string {
  const folder = dockerfile && dockerfile.includes("/") ? dockerfile.slice(0, dockerfile.lastIndexOf("/")) : ".";
  if (folder === ".") return folder;
  const sources = instructions
    .flatMap((i) => (i.op === "COPY" || i.op === "ADD" ? (copySources(i.args) ?? []) : []))
    .map((p) => p.replace(/\/+$/, ""))
    .filter((p) => p && p !== "." && !/[*?[]|^[a-z]+:\/\//i.test(p));
  const exists = (path: string) => files.some((f) => f === path || f.startsWith(`${path}/`));
  const found = (base: string) => sources.filter((p) => exists(base === "." ? p : `${base}/${p}`)).length;
  return found(".") > found(folder) ? "." : folder;
}
