import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { answerUnansweredCall } from "../../packages/hub/src/unanswered-call.js";

describe("a call the RPC framework failed to answer", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  /** Serves every request by handing `err` to answerUnansweredCall; returns the URL and the log lines. */
  async function serve(err: unknown): Promise<{ url: string; logged: Array<Record<string, unknown>> }> {
    const logged: Array<Record<string, unknown>> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    server = createServer((req, res) => answerUnansweredCall(req, res, err, logger));
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/linker.v1.LinkerService/Send`, logged };
  }

  const call = (url: string) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

  it("is the request's fault when its text could not be written into the error: INVALID_ARGUMENT, nothing logged", async () => {
    const { url, logged } = await serve(new URIError("URI malformed"));
    const res = await call(url);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument" });
    expect(logged).toEqual([]);
  });

  it("is the hub's otherwise: INTERNAL, and the cause is in the log the answer points to", async () => {
    const { url, logged } = await serve(new Error("the serializer broke"));
    const res = await call(url);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ code: "internal", message: "the hub could not answer this call; see its log" });
    expect(logged).toEqual([expect.objectContaining({ msg: "the RPC framework failed to answer a call", path: "/linker.v1.LinkerService/Send", err: expect.objectContaining({ message: "the serializer broke" }) })]);
  });
});
