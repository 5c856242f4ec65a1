import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * CircleCI's "continue a pipeline" endpoint on this machine, for a setup workflow in `gen-circle
 * run`: POST {api}/pipeline/continue with the pipeline's continuation key, the configuration (a
 * string) and its parameters. As on CircleCI, a pipeline is continued once; a wrong key, a second
 * call or another body is refused (400 here; CircleCI's own statuses are not known offline).
 * @see https://circleci.com/docs/api/v2/#operation/continuePipeline
 */
export interface ContinueServer {
  key: string;
  /** the API base the setup job gets (GC_CIRCLECI_API) */
  api: string;
  posted(): { configuration: string; parameters: Record<string, unknown> } | undefined;
  close(): Promise<void>;
}

export async function startContinueServer(): Promise<ContinueServer> {
  const key = randomBytes(16).toString("hex");
  let posted: { configuration: string; parameters: Record<string, unknown> } | undefined;
  const server = createServer((req, res) => {
    const reply = (status: number, message: string) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message }));
    };
    if (req.method !== "POST" || req.url !== "/api/v2/pipeline/continue") return reply(404, "Not found");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        return reply(400, "Invalid JSON body.");
      }
      if (body["continuation-key"] !== key) return reply(400, "Invalid continuation key.");
      if (posted) return reply(400, "Pipeline already continued.");
      const parameters = body.parameters ?? {};
      if (typeof body.configuration !== "string" || typeof parameters !== "object" || parameters === null || Array.isArray(parameters))
        return reply(400, "configuration must be a string and parameters an object.");
      posted = { configuration: body.configuration, parameters: parameters as Record<string, unknown> };
      reply(200, "success");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    key,
    api: `http://127.0.0.1:${port}/api/v2`,
    posted: () => posted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
