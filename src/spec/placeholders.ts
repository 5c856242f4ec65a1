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
}

export const TAG_PLACEHOLDERS: readonly TagPlaceholder[] = [
  { name: "sha", bash: "$sha", circleVariable: "CIRCLE_SHA1" },
  { name: "short_sha", bash: "${sha:0:7}" },
  { name: "branch", bash: '$(gc_tag_slug "$branch")', circleVariable: "CIRCLE_BRANCH" },
  { name: "tag", bash: '$(gc_tag_slug "$git_tag")', circleVariable: "CIRCLE_TAG" },
  { name: "build", bash: "$build", circleVariable: "CIRCLE_BUILD_NUM" },
  { name: "hash", bash: "$hash" },
];

/** `{sha}, {short_sha}, ...`, for messages. */
export const placeholderList = (sep = ", ") => TAG_PLACEHOLDERS.map((p) => `{${p.name}}`).join(sep);
