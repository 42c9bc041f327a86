import http from "node:http";
import http2 from "node:http2";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpHttpEndpoint } from "../../packages/mcp/src/http-endpoint.js";
import { hubConfig } from "../../packages/hub/src/config.js";
import { type RunningHub, startHub } from "../../packages/hub/src/start-hub.js";
import { tempDir } from "../support/temp-dir.js";

/** One HTTP/1.1 request with raw headers; resolves to the status and body. */
function request(url: string, path: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = http.request({ hostname, port, path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end(body);
  });
}

const REGISTER = { "content-type": "application/json" };
const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "page", version: "1" } } });

/** Finding 3: a page in the user's browser reached the hub through DNS rebinding. */
describe("the Host and Origin allow-list in front of every HTTP endpoint", () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startHub(hubConfig({ port: 0, dataDir: tempDir("linker-host-") }), { logger: pino({ level: "silent" }), httpHandler: mcpHttpEndpoint() });
  });
  afterAll(() => hub.close());

  it.each([
    ["Register (Connect JSON)", "/linker.v1.LinkerService/Register", "POST", REGISTER, JSON.stringify({ name: "rebound" })],
    ["/mcp initialize", "/mcp", "POST", { "content-type": "application/json", accept: "application/json, text/event-stream", "x-linker-name": "rebound" }, INIT],
    ["the dashboard", "/", "GET", {}, undefined],
    ["/metrics", "/metrics", "GET", {}, undefined],
    ["/healthz", "/healthz", "GET", {}, undefined],
  ])("refuses %s asked for under a foreign host name, and from a foreign origin", async (_what, path, method, headers, body) => {
    const rebound = await request(hub.url, path, method, { ...headers, host: `evil.example.com:${hub.port}` }, body);
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/does not answer to the host name/);
    const foreign = await request(hub.url, path, method, { ...headers, host: `127.0.0.1:${hub.port}`, origin: "http://evil.example.com" }, body);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/web pages at "http:\/\/evil.example.com" are refused/);
    expect((await request(hub.url, path, method, { ...headers, host: `127.0.0.1:${hub.port}`, origin: "null" }, body)).status).toBe(403);
  });

  it("changes nothing for a refused request: no instance, no session", async () => {
    await request(hub.url, "/linker.v1.LinkerService/Register", "POST", { ...REGISTER, host: "attacker.test" }, JSON.stringify({ name: "rebound-2" }));
    const list = await request(hub.url, "/linker.v1.LinkerService/Register", "POST", { ...REGISTER, host: `localhost:${hub.port}` }, JSON.stringify({ name: "rebound-2" }));
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { reclaimed?: boolean }).reclaimed ?? false).toBe(false);
  });

  it("serves loopback names, the hub's own origin, and clients that send no Origin", async () => {
    for (const host of [`127.0.0.1:${hub.port}`, `localhost:${hub.port}`, `[::1]:${hub.port}`]) {
      expect((await request(hub.url, "/healthz", "GET", { host })).status, host).toBe(200);
    }
    const own = await request(hub.url, "/linker.v1.LinkerService/Register", "POST", { ...REGISTER, host: `127.0.0.1:${hub.port}`, origin: hub.url }, JSON.stringify({ name: "own-page" }));
    expect(own.status).toBe(200);
  });

  it("applies to HTTP/2 :authority as well", async () => {
    const session = http2.connect(hub.url);
    try {
      const status = await new Promise<number>((done, fail) => {
        const stream = session.request({ ":method": "GET", ":path": "/healthz", ":authority": "evil.example.com" });
        stream.on("response", (headers) => done(Number(headers[":status"])));
        stream.on("error", fail);
        stream.end();
      });
      expect(status).toBe(403);
    } finally {
      session.close();
    }
  });
});
