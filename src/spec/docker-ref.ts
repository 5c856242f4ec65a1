/**
 * Docker reference grammar (distribution/reference): [domain/]path[:tag][@digest].
 * A domain is told apart from a path by a '.', a ':' or the name localhost.
 */
const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const domainPart = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainPart}(?:\\.${domainPart})*(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const pathRe = new RegExp(`^${component}(?:/${component})*$`);
const tagRe = new RegExp(`^${tag}$`);
const digestRe = new RegExp(`^${digest}$`);
const hostRe = new RegExp(`^${domain}$`);

export interface ParsedRef {
  domain?: string;
  path: string;
  tag?: string;
  digest?: string;
}

export function parseReference(ref: string): ParsedRef | undefined {
  let rest = ref;
  let dig: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    dig = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(dig)) return undefined;
  }
  let tg: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tg = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tg)) return undefined;
  }
  if (rest.length > 255) return undefined;
  const first = rest.split("/")[0]!;
  const hasDomain = rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const path = hasDomain ? rest.slice(first.length + 1) : rest;
  if (hasDomain && !hostRe.test(first)) return undefined;
  if (!pathRe.test(path)) return undefined;
  return { domain: hasDomain ? first : undefined, path, tag: tg, digest: dig };
}

/** The repository of a reference: domain and path, without tag or digest. */
export const repositoryOf = (ref: ParsedRef): string => (ref.domain ? `${ref.domain}/${ref.path}` : ref.path);

export const isDockerTag = (s: string): boolean => tagRe.test(s);
export const isRegistryHost = (s: string): boolean => hostRe.test(s) && (s.includes(".") || s.includes(":") || s === "localhost");
