/** Counts of a JUnit XML report (testsuites/testsuite/testcase), enough for a summary. */
export interface JUnitCounts {
  tests: number;
  failures: number;
  skipped: number;
  failed: string[];
}

export function countJUnit(xml: string): JUnitCounts {
  const out: JUnitCounts = { tests: 0, failures: 0, skipped: 0, failed: [] };
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    out.tests += 1;
    const body = m[3] ?? "";
    if (/<(failure|error)\b/.test(body)) {
      out.failures += 1;
      const name = /\bname="([^"]*)"/.exec(m[1]!)?.[1] ?? "?";
      const cls = /\bclassname="([^"]*)"/.exec(m[1]!)?.[1];
      out.failed.push(cls ? `${cls}.${name}` : name);
    } else if (/<skipped\b/.test(body)) out.skipped += 1;
  }
  return out;
}
