import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createClient } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { mcpHttpEndpoint } from "../../packages/mcp/src/http-endpoint.js";
import { hubConfig, type HubConfigInput } from "../../packages/hub/src/config.js";
import { type RunningHub, startHub } from "../../packages/hub/src/start-hub.js";
import { bearer, transportFor } from "../support/clients.js";
import { tempDir } from "../support/temp-dir.js";

const ADMIN = "mcp-test-admin-key-0123456789";

/** An MCP session at /mcp with the given headers; rejects when the endpoint refuses it. */
async function session(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "identity-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

/** The status of a bare initialize request at /mcp. */
async function initializeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
  });
  await res.body?.cancel();
  return res.status;
}

/** The text the model is given for linker_get_messages. */
async function inbox(client: Client): Promise<string> {
  const result = (await client.callTool({ name: "linker_get_messages", arguments: {} })) as CallToolResult;
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

/** Finding 1: /mcp handed each name's stored token to whoever sent X-Linker-Name. */
describe("identity at /mcp comes from the credential, never from a header alone", () => {
  let hub: RunningHub | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await hub?.close();
  });

  const start = async (input: Partial<HubConfigInput> = {}) => {
    hub = await startHub(hubConfig({ port: 0, dataDir: tempDir("linker-mcp-identity-"), adminKey: ADMIN, ...input }), {
      logger: pino({ level: "silent" }),
      httpHandler: mcpHttpEndpoint(),
    });
    return hub;
  };

  it("on loopback without credentials, a name one MCP session registered is never handed to another caller", async () => {
    const { url } = await start();
    const alice = await session(url, { "X-Linker-Name": "mcp-alice" });
    clients.push(alice);
    const { registerAgent } = await import("../support/clients.js");
    const bob = await registerAgent((interceptors) => transportFor(url, "grpc", interceptors), "bob");
    await bob.client.send({ recipient: "mcp-alice", body: "for alice only" });

    await expect(session(url, { "X-Linker-Name": "mcp-alice" })).rejects.toThrow(/403|cannot act as/);
    expect(await initializeStatus(url, { "X-Linker-Name": "mcp-alice" })).toBe(403);
    expect(await inbox(alice)).toMatch(/<peer-message from="bob" [^>]*>\nfor alice only\n<\/peer-message>/);
  });

  it("a session token the caller holds keeps its name across MCP sessions on loopback", async () => {
    const { url } = await start();
    const token = `lk_${"a".repeat(43)}`;
    const first = await session(url, { "X-Linker-Name": "mcp-carol", Authorization: `Bearer ${token}` });
    await first.close();
    const second = await session(url, { "X-Linker-Name": "mcp-carol", Authorization: `Bearer ${token}` });
    clients.push(second);
    expect(await inbox(second)).toMatch(/^No (unread )?messages\./);
    expect(await initializeStatus(url, { "X-Linker-Name": "mcp-carol", Authorization: `Bearer lk_${"b".repeat(43)}` })).toBe(403);
  });

  it("on a hub with a secret, the shared secret opens no session; a key acts only as the names it binds", async () => {
    const { url } = await start({ hubSecret: "shared-secret" });
    const admin = createClient(LinkerService, transportFor(url, "connect", [bearer(() => ADMIN)]));
    const aliceKey = (await admin.createKey({ label: "mcp-alice" })).secret;
    const bobKey = (await admin.createKey({ label: "mcp-bob" })).secret;

    expect(await initializeStatus(url, { "X-Linker-Name": "mcp-alice", Authorization: "Bearer shared-secret" })).toBe(401);
    const alice = await session(url, { Authorization: `Bearer ${aliceKey}` });
    clients.push(alice);
    const bob = await session(url, { Authorization: `Bearer ${bobKey}` });
    clients.push(bob);
    await bob.callTool({ name: "linker_send_message", arguments: { to: "mcp-alice", message: "from bob's key" } });

    // Bob's key cannot pick alice's name, and no key-less caller can either.
    expect(await initializeStatus(url, { "X-Linker-Name": "mcp-alice", Authorization: `Bearer ${bobKey}` })).toBe(403);
    expect(await initializeStatus(url, { "X-Linker-Name": "mcp-alice" })).toBe(401);
    expect(await inbox(alice)).toMatch(/<peer-message from="mcp-bob" [^>]*>\nfrom bob's key\n<\/peer-message>/);
  });

  it("a session id works only with the credential that opened it", async () => {
    const { url } = await start({ hubSecret: "shared-secret" });
    const admin = createClient(LinkerService, transportFor(url, "connect", [bearer(() => ADMIN)]));
    const aliceKey = (await admin.createKey({ label: "mcp-alice" })).secret;
    const bobKey = (await admin.createKey({ label: "mcp-bob" })).secret;
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${aliceKey}` } } });
    const alice = new Client({ name: "identity-test", version: "1.0.0" });
    await alice.connect(transport);
    clients.push(alice);
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": transport.sessionId!, authorization: `Bearer ${bobKey}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "linker_get_messages", arguments: {} } }),
    });
    expect(res.status).toBe(403);
    await res.body?.cancel();
  });
});
