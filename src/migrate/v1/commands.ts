import { Codes } from "../../diagnostics.js";
import type { Command, Phases } from "../v1.js";
import { isObj, type Obj, PHASES, type ReadCtx, SECTIONS, str } from "./context.js";

/** A command list entry: a string, or `command: {modifiers}` (also as a complex key). */
export function command(ctx: ReadCtx, entry: unknown, path: (string | number)[]): Command | undefined {
  const { pos, diag, lines } = ctx;
  lines.add(pos(path, "value").line);
  if (typeof entry === "string" || typeof entry === "number" || typeof entry === "boolean")
    return { command: String(entry), unknown: [], at: pos(path, "value") };
  if (isObj(entry) && Object.keys(entry).length === 1) {
    const [cmd, mods] = Object.entries(entry)[0]!;
    const c: Command = { command: cmd, unknown: [], at: pos(path, "value") };
    if (isObj(mods)) {
      for (const [k, v] of Object.entries(mods)) {
        lines.add(pos([...path, cmd, k]).line);
        if (k === "timeout") c.timeout = Number(v);
        else if (k === "pwd") c.pwd = str(v);
        else if (k === "environment" && isObj(v)) c.environment = Object.fromEntries(Object.entries(v).map(([a, b]) => [a, str(b)]));
        else if (k === "parallel") c.parallel = v === true;
        else if (k === "files") c.files = (Array.isArray(v) ? v : [v]).map(str);
        else if (k === "background") c.background = v === true;
        else c.unknown.push(k);
      }
    } else if (mods !== null) {
      // `- cmd: value` where a value is not a modifier mapping: a command that held ': '.
      c.command = `${cmd}: ${str(mods)}`;
    }
    return c;
  }
  diag("error", Codes.v1CommandShape, path, "A command is a string, or 'command: {timeout: ..., pwd: ...}'.", "value");
  return undefined;
}

export function commands(ctx: ReadCtx, v: unknown, path: (string | number)[]): Command[] {
  const { diag } = ctx;
  if (v === null || v === undefined) return [];
  if (typeof v === "string") {
    diag("warning", Codes.v1ListExpected, path, "A single command where a list was expected: read as a list of one.", "value");
    return [command(ctx, v, path)].filter((c): c is Command => !!c);
  }
  if (!Array.isArray(v)) {
    diag("error", Codes.v1ListExpected, path, "Expected a list of commands here.", "value");
    return [];
  }
  return v.map((e, i) => command(ctx, e, [...path, i])).filter((c): c is Command => !!c);
}

/** A section's pre/override/post lists, and the section's other keys that `extra` names. */
export function phases(ctx: ReadCtx, name: string, extra: string[] = []): Phases & { rest: Obj } {
  const { root, pos, diag, lines } = ctx;
  const v = root[name];
  const out = { pre: [] as Command[], override: [] as Command[], post: [] as Command[], present: name in root, rest: {} as Obj };
  if (v === null || v === undefined) return out;
  if (Array.isArray(v)) {
    diag("warning", Codes.v1PhaseShape, [name], `'${name}:' holds a list of commands: read as '${name}: override:' (what 1.0 ran for it).`);
    out.override = commands(ctx, v, [name]);
    return out;
  }
  if (!isObj(v)) {
    diag("error", Codes.v1PhaseShape, [name], `'${name}:' must hold pre/override/post lists.`, "value");
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    lines.add(pos([name, k]).line);
    if (PHASES.includes(k)) (out as unknown as Record<string, Command[]>)[k] = commands(ctx, val, [name, k]);
    else if (extra.includes(k)) out.rest[k] = val;
    else if (SECTIONS.includes(k))
      diag("error", Codes.misnestedSection, [name, k], `'${k}:' is a section of its own; it is nested under '${name}:'. Move it to the top level.`);
    else diag("warning", Codes.unknownV1Key, [name, k], `Unknown key '${k}' in '${name}:': not migrated.`);
  }
  return out;
}
