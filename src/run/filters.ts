import type { Filters } from "./expand.js";

/**
 * CircleCI's workflow filter rules: a job runs for every branch and for no git tag unless its
 * filters say otherwise; `/regex/` must match the whole name; `ignore` wins over `only`.
 * @see https://circleci.com/docs/configuration-reference/#filters
 */
export function jobRuns(filters: Filters, ref: { branch?: string; tag?: string }): boolean {
  if (ref.tag) {
    const t = filters.tags;
    if (!t || (!t.only && !t.ignore)) return false;
    if (t.ignore && matchesAny(ref.tag, t.ignore)) return false;
    if (t.only && !matchesAny(ref.tag, t.only)) return false;
    return true;
  }
  const b = filters.branches;
  const branch = ref.branch ?? "";
  if (!b) return true;
  if (b.ignore && matchesAny(branch, b.ignore)) return false;
  if (b.only && !matchesAny(branch, b.only)) return false;
  return true;
}

export function matchesAny(value: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.length >= 2 && p.startsWith("/") && p.endsWith("/") ? new RegExp(`^(?:${p.slice(1, -1)})$`).test(value) : p === value));
}
