/**
 * The order `gen-circle run` runs a workflow's jobs in, as pure functions (the runner does the
 * running): which jobs the branch or tag selects, and at each moment which jobs start and which
 * are skipped. CircleCI starts a job when every job it requires has passed, and never when one
 * failed or did not run; here at most `slots` jobs run at once.
 */
export interface Schedulable {
  name: string;
  requires: readonly string[];
}

export type Finished = "passed" | "failed" | "skipped" | "not run";

/** The jobs that run for this branch or tag: their filters pass and so do those of every job they require. */
export function selectJobs<J extends Schedulable>(jobs: readonly J[], passesFilters: (j: J) => boolean): Set<string> {
  const decided = new Map<string, boolean>();
  const decide = (j: J | undefined): boolean => {
    if (!j) return false;
    if (decided.has(j.name)) return decided.get(j.name)!;
    decided.set(j.name, false); // a cycle selects nothing
    const ok = passesFilters(j) && j.requires.every((r) => decide(jobs.find((x) => x.name === r)));
    decided.set(j.name, ok);
    return ok;
  };
  return new Set(jobs.filter((j) => decide(j)).map((j) => j.name));
}

/**
 * The next move: `start` the pending jobs whose requirements all passed (in workflow order, up
 * to the free slots), `skip` those with a requirement that did not pass (or all of them once a
 * stop is asked); with nothing running and nothing to start, what is left waits on a job that
 * will never run: skipped too.
 */
export function nextMove<J extends Schedulable>(
  pending: readonly J[],
  finished: ReadonlyMap<string, Finished>,
  running: number,
  slots: number,
  stop: boolean,
): { start: J[]; skip: J[] } {
  const start: J[] = [];
  const skip: J[] = [];
  for (const j of pending) {
    const deps = j.requires.map((r) => finished.get(r));
    if (deps.some((d) => d === undefined)) continue;
    if (stop || deps.some((d) => d !== "passed")) skip.push(j);
    else if (running + start.length < slots) start.push(j);
  }
  if (!running && !start.length) for (const j of pending) if (!skip.includes(j)) skip.push(j);
  return { start, skip };
}
