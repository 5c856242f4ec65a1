import { noteVariables, readCompose } from "./compose.js";
import { findDockerfiles, guessImages, imagesWithTests, noteOtherDockerfiles, withTestTools } from "./images.js";
import { renderSpec, specOf } from "./render.js";
import { inFolder, type Notes, type RepoView } from "./repo.js";
import { ciJobServices } from "./ci-jobs.js";
import { ciServices } from "./ci-services.js";
import { noteTestReach } from "./service-reach.js";
import { guessServices } from "./services.js";

export type { RepoView } from "./repo.js";

export interface Detection {
  spec: string;
  found: string[];
  guessed: string[];
  /** What to check: also written into the spec as `# TODO:` comments. */
  todo: string[];
}

/** `gen-circle init`: the spec a repository's Dockerfiles and compose file suggest, and how each part was found. */
export function detect(repo: RepoView): Detection {
  const notes: Notes = { found: [], guessed: [], todo: [] };
  const compose = readCompose(repo, notes);
  const dockerfiles = withTestTools(repo, imagesWithTests(repo, findDockerfiles(repo, compose, notes), compose, notes), compose, notes);
  const images = guessImages(repo, dockerfiles, compose, notes);
  noteOtherDockerfiles(repo, images, compose, notes);
  // Each Dockerfile's main image (not one split off for another toolchain's stage).
  const targets = new Map(images.flatMap((i) => (i.dockerfile && !i.splitStage ? [[i.dockerfile, i.target] as const] : [])));
  // The PHPUnit configuration a test command names says which settings the tests run with.
  const phpunitConfigs = images.flatMap((i) => {
    const m = typeof i.test.command === "string" ? /(?:^|\s)(?:-c|--configuration)[\s=]+(\S+\.xml(?:\.dist)?)\b/.exec(i.test.command) : null;
    return m ? [inFolder(i.context, m[1]!.replace(/^\.\//, ""))] : [];
  });
  // The CI job that runs the same tests says which services it starts for them.
  const ciJob = ciJobServices(
    repo,
    images.map((i) => ({ command: typeof i.test.command === "string" ? i.test.command : (i.test.command ?? []).join(" "), context: i.context })),
  );
  const fromCompose = guessServices(repo, compose, dockerfiles, notes, targets, phpunitConfigs, ciJob);
  // Compose has no service to choose from: the services a CI job that runs the tests declares, when one does.
  const ci = fromCompose.considered ? undefined : ciServices(repo);
  if (ci) {
    notes.found.push(`services from ${ci.from}: ${ci.services.map((s) => s.name).join(", ")}`);
    notes.todo.push({ at: ["services"], text: `taken from ${ci.from}, which runs the tests with these services: check that the image's tests need them` });
  }
  const { services, environment } = ci ?? fromCompose;
  // One image: the app's settings that point at its services are the tests' too (a setting the test command sets wins).
  const added = images.length === 1 ? Object.keys(environment).filter((k) => !Object.hasOwn(images[0].test.environment, k)) : [];
  for (const key of added) images[0].test.environment[key] = environment[key]!;
  if (added.length) notes.found.push(`test environment from ${ci ? ci.from : "compose's app"}, pointing at the services: ${added.join(", ")}`);
  // What the spec does not tell the tests about their services.
  noteTestReach(repo, images, services, compose.files, notes);
  // After every compose value is read: the images' and the services'.
  noteVariables(compose, notes);
  if (services.length) notes.found.push(`services: ${services.map((s) => `${s.name} (${s.image})`).join(", ")}`);
  // generate writes .circleci/config.yml, and never over one it did not write without --force.
  if (repo.files.includes(".circleci/config.yml"))
    notes.guessed.push(
      ".circleci/config.yml is the project's own: 'gen-circle generate --force' replaces it; carry over what it does that the spec does not (deploys, other jobs)",
    );
  const todo = notes.todo.map((t) => `${t.at.join(".")}: ${t.text}`);
  return { spec: renderSpec(specOf(images, services), notes.todo), found: notes.found, guessed: notes.guessed, todo };
}
