/**
 * The placeholders of a deploy rule's image tags, one list: the spec's check (normalize/deploy.ts),
 * deploy.sh's substitutions (the plan's view), migrate's mapping of CircleCI 1.0 variables, and the
 * schema's description (a unit test holds the schema to this list).
 */
export interface TagPlaceholder {
  name: string;
  /** What deploy.sh puts in its place: a bash word over its variables (sha, branch, git_tag, build, hash). */
  bash: string;
  /** The CircleCI variable a 1.0 circle.yml wrote for it, where there is one. */
  circleVariable?: string;
  /** It names one commit, build or release: a tag holding it never moves to another image. */
  immutable: boolean;
}

export const TAG_PLACEHOLDERS: readonly TagPlaceholder[] = [
  { name: "sha", bash: "$sha", circleVariable: "CIRCLE_SHA1", immutable: true },
  { name: "short_sha", bash: "${sha:0:7}", immutable: true },
  { name: "branch", bash: '$(gc_tag_slug "$branch")', circleVariable: "CIRCLE_BRANCH", immutable: false },
  { name: "tag", bash: '$(gc_tag_slug "$git_tag")', circleVariable: "CIRCLE_TAG", immutable: true },
  { name: "build", bash: "$build", circleVariable: "CIRCLE_BUILD_NUM", immutable: true },
  // The dependency inputs' hash: many commits share it, so a tag of it moves as they come.
  { name: "hash", bash: "$hash", immutable: false },
];

/**
 * Whether a tag template never moves: it holds a placeholder that names one commit, build or
 * release ({sha}, {tag}...). `latest`, `{branch}` and `{hash}` move from image to image.
 */
export const isImmutableTag = (template: string): boolean => TAG_PLACEHOLDERS.some((p) => p.immutable && template.includes(`{${p.name}}`));

/** A rule's tags in the order deploy.sh pushes them: the ones that never move first, in the spec's order. */
export const pushOrder = (templates: readonly string[]): string[] => [...templates.filter(isImmutableTag), ...templates.filter((t) => !isImmutableTag(t))];

/** `{sha}, {short_sha}, ...`, for messages. */
export const placeholderList = (sep = ", ") => TAG_PLACEHOLDERS.map((p) => `{${p.name}}`).join(sep);
