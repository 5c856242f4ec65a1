import { hashOf } from "../hash/manifest.js";

/**
 * Every generated file starts with a header naming the spec and the regenerate command, and a
 * checksum of its body: `check` tells a hand edit (checksum no longer matches the body) from
 * drift (the body no longer matches the spec).
 */
const MARK = "gen-circle: generated from";
const SUM = "gen-circle-checksum: sha256:";

export function withHeader(body: string, specFile: string, shebang?: string): string {
  const header = `# ${MARK} ${specFile}; do not edit by hand.\n` + `# Regenerate with: npx gen-circle generate\n` + `# ${SUM}${hashOf(body)}\n`;
  return (shebang ? shebang + "\n" : "") + header + body;
}

/** The header's checksum line: it changes whenever the body does. */
export const isChecksumLine = (line: string): boolean => line.startsWith(`# ${SUM}`);

export interface ParsedHeader {
  generated: boolean;
  /** The checksum still matches the body: nobody edited it. */
  intact: boolean;
}

export function readHeader(text: string): ParsedHeader {
  const lines = text.split("\n");
  let i = lines[0]?.startsWith("#!") ? 1 : 0;
  if (!lines[i]?.startsWith(`# ${MARK} `)) return { generated: false, intact: false };
  i += 1;
  if (lines[i]?.startsWith("# Regenerate")) i += 1;
  const sumLine = lines[i] ?? "";
  if (!sumLine.startsWith(`# ${SUM}`)) return { generated: true, intact: false };
  const body = lines.slice(i + 1).join("\n");
  return { generated: true, intact: sumLine.slice(`# ${SUM}`.length) === hashOf(body) };
}
