/**
 * Reading a Dockerfile's instructions and their flags. Pure: the text comes from the caller (the
 * CLI reads the file).
 */
export interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
export function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let cur = "";
  let heredocs: string[] = []; // the delimiters of the heredoc bodies still to read, in order
  let script: string[] | undefined; // the body of `RUN <<EOF`: the shell runs it as the command
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (heredocs.length) {
      if (line !== heredocs[0]) {
        script?.push(line);
        continue;
      }
      heredocs = heredocs.slice(1);
      if (heredocs.length) continue;
      // A script for another interpreter (`#!/usr/bin/env python3`) is no shell command.
      const shell = !script?.[0]?.startsWith("#!") || /sh$/.test(script[0]!);
      if (script && shell) out[out.length - 1]!.args = out[out.length - 1]!.args.replace(/<<-?\s*["']?[\w.-]+["']?\s*$/, () => heredocCommand(script!));
      script = undefined;
      continue;
    }
    if (!cur && (line.startsWith("#") || !line)) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      cur += line.slice(0, -1) + " ";
      continue;
    }
    cur += line;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(cur);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() });
    // A heredoc body (BuildKit syntax) is the instruction's, not instructions of its own: for a
    // RUN whose command is the heredoc alone (`RUN <<EOF`, after its flags), the script it runs.
    // Several on one line (`COPY <<a.txt <<b.txt /etc/`) are read one after the other.
    heredocs = [...cur.matchAll(/(?:^|[^<])<<-?\s*["']?([\w.-]+)["']?/g)].map((h) => h[1]!);
    script = heredocs.length === 1 && m?.[1]!.toUpperCase() === "RUN" && /^<<-?\s*["']?[\w.-]+["']?\s*$/.test(splitFlags(m[2]!.trim()).rest) ? [] : undefined;
    cur = "";
  }
  return out;
}

/** A heredoc script as one command line: its lines run one after the other (a `\\` at a line's end continues it). */
function heredocCommand(lines: readonly string[]): string {
  let out = "";
  for (const line of lines.filter((l) => l && !l.startsWith("#"))) out += line.endsWith("\\") ? `${line.slice(0, -1).trimEnd()} ` : `${line}\n`;
  return out.trim();
}

/** The leading `--name=value` flags of an instruction (`--from=build`, `--mount=type=bind,...`), and the rest. */
export function splitFlags(args: string): { flags: [string, string][]; rest: string } {
  const flags: [string, string][] = [];
  let rest = args;
  for (let m = /^--([a-z][a-z-]*)(?:=(\S*))?\s*/i.exec(rest); m; m = /^--([a-z][a-z-]*)(?:=(\S*))?\s*/i.exec(rest)) {
    flags.push([m[1]!.toLowerCase(), m[2] ?? ""]);
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** A copy source as a context path: no `./`, no trailing `/` or `/.`; the context itself is ".". */
export function cleanSource(src: string): string {
  const out = src
    .replace(/^(\.\/)+/, "")
    .replace(/^\/+/, "")
    .replace(/(\/\.?)+$/, "");
  return out === "" ? "." : out;
}

/**
 * The context paths a COPY or ADD reads (cleaned: `.` for the whole context); undefined for a copy
 * from another stage or image (`--from`). Heredoc sources and URLs are not context paths.
 */
export function copySources(args: string): string[] | undefined {
  const { flags, rest } = splitFlags(args);
  if (flags.some(([n]) => n === "from")) return undefined;
  const parts = copyWords(rest);
  if (!parts) return undefined;
  return parts
    .slice(0, -1)
    .filter((p) => !p.startsWith("<<") && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !/^git@/.test(p))
    .map(cleanSource);
}

/**
 * A COPY's or ADD's words after its flags: the JSON form, else split at spaces with a word's
 * quotes removed (BuildKit reads them as the shell does: `"config/${MIX_ENV}.exs"`); undefined
 * for JSON that does not parse.
 */
export function copyWords(rest: string): string[] | undefined {
  if (!rest.startsWith("["))
    return rest
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
  try {
    return (JSON.parse(rest) as unknown[]).map(String);
  } catch {
    return undefined;
  }
}

/** What a `RUN --mount` makes available to the command. */
export interface Mount {
  /** bind (the default), cache, secret, ssh, tmpfs */
  type: string;
  /** A path of the context, or of `from`; the context (or `from`) itself is ".". */
  source: string;
  /** Another stage or an image, for a bind mount that does not read the context. */
  from?: string;
}

/** A RUN's `--mount` flags, read as BuildKit reads them (`type` defaults to bind, `source` to the root). */
export function runMounts(args: string): Mount[] {
  return splitFlags(args)
    .flags.filter(([n]) => n === "mount")
    .map(([, value]) => {
      const kv = new Map(
        value.split(",").map((part) => {
          const [k, ...v] = part.split("=");
          return [k!.trim().toLowerCase(), v.join("=").replace(/^["']|["']$/g, "")] as const;
        }),
      );
      return { type: kv.get("type") || "bind", source: cleanSource(kv.get("source") ?? kv.get("src") ?? "."), from: kv.get("from") || undefined };
    });
}

/** The context paths a RUN bind-mounts (`--mount=type=bind,source=uv.lock,...`), without those from a stage or image. */
export const boundSources = (args: string): string[] => runMounts(args).flatMap((m) => (m.type === "bind" && !m.from ? [m.source] : []));

/** A RUN's command text, without its flags. */
export const runCommand = (args: string): string => splitFlags(args).rest;

/** An instruction's exec form (`["java", "-jar", "app.jar"]`) as its words; undefined for the shell form or JSON that does not parse. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const list = JSON.parse(args) as unknown;
    return Array.isArray(list) ? list.map(String) : undefined;
  } catch {
    return undefined;
  }
}
