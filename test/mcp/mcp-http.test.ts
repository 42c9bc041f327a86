import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpHttpEndpoint } from "../../packages/mcp/src/http-endpoint.js";
import { hubConfig } from "../../packages/hub/src/config.js";
import { type RunningHub, startHub } from "../../packages/hub/src/start-hub.js";
import { tempDir } from "../support/temp-dir.js";
import { runCli } from "../cli/cli-process.js";

const ADMIN = "mcp-http-admin-key-0123456789abcdef";

async function connect(url: string, name: string, key?: string): Promise<Client> {
  const client = new Client({ name: "http-test", version: "1.0.0" });
  const headers: Record<string, string> = { "X-Linker-Name": name, ...(key ? { Authorization: `Bearer ${key}` } : {}) };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

describe("the MCP endpoint at /mcp on the hub port", () => {
  let hub: RunningHub;
  const clients: Client[] = [];

  beforeAll(async () => {
    const dataDir = tempDir("linker-mcp-http-");
    hub = await startHub(hubConfig({ port: 0, dataDir, adminKey: ADMIN }), {
      logger: pino({ level: "silent" }),
      httpHandler: mcpHttpEndpoint(),
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await hub.close();
  });

  it("serves the tools to a session that names its instance, with no local process", async () => {
    const dev = await connect(hub.url, "devcontainer-agent");
    const peer = await connect(hub.url, "host-agent");
    clients.push(dev, peer);
    const { tools } = await dev.listTools();
    expect(tools.map((t) => t.name)).toContain("linker_send_message");
    const sent = (await dev.callTool({ name: "linker_send_message", arguments: { to: "host-agent", message: "hello over HTTP" } })) as CallToolResult;
    expect(sent.isError).toBeFalsy();
    const inbox = (await peer.callTool({ name: "linker_get_messages", arguments: {} })) as CallToolResult;
    expect(inbox.structuredContent).toBeUndefined();
    const shown = inbox.content.map((c) => (c.type === "text" ? c.text : "")).join("");
    expect(shown).toContain("untrusted");
    expect(shown).toMatch(/<peer-message from="devcontainer-agent" id="[0-9a-f-]{36}" kind="text"[^>]*>\nhello over HTTP\n<\/peer-message>/);
  });

  it("lets `linker hook --http` inject an HTTP session's unread messages once, with the session the endpoint holds for its key", async () => {
    const { createClient } = await import("@connectrpc/connect");
    const { LinkerService } = await import("@linker/protocol/gen/linker/v1/linker_service_pb.js");
    const { bearer, transportFor } = await import("../support/clients.js");
    const admin = createClient(LinkerService, transportFor(hub.url, "connect", [bearer(() => ADMIN)]));
    const key = (await admin.createKey({ label: "hooked-container" })).secret;
    const dev = await connect(hub.url, "hooked-container", key);
    const peer = await connect(hub.url, "hooked-peer");
    clients.push(dev, peer);
    const sent = (await peer.callTool({ name: "linker_send_message", arguments: { to: "hooked-container", message: "review PR 7" } })) as CallToolResult;
    expect(sent.isError).toBeFalsy();
    const hook = (env: Record<string, string>, name = "hooked-container") =>
      runCli(["--name", name, "hook", "--http", hub.url], { home: tempDir("linker-hook-home-"), env, input: JSON.stringify({ hook_event_name: "UserPromptSubmit" }) });
    const first = await hook({ LINKER_KEY: key });
    expect(first.code, first.stderr).toBe(0);
    const context = (JSON.parse(first.stdout) as { hookSpecificOutput: { additionalContext: string } }).hookSpecificOutput.additionalContext;
    expect(context).toMatch(/<peer-message from="hooked-peer" id="[0-9a-f-]{36}" kind="text"[^>]*>\nreview PR 7\n<\/peer-message>/);
    expect((await hook({ LINKER_KEY: key })).stdout).toBe("");
    // The name header alone reads nothing: the hook needs the session's credential.
    await peer.callTool({ name: "linker_send_message", arguments: { to: "hooked-container", message: "second" } });
    const headerOnly = await hook({});
    expect([headerOnly.code, headerOnly.stdout]).toEqual([0, ""]);
    expect(headerOnly.stderr).toContain("needs the credential the MCP session was opened with");
    // The key's name only; a name its key binds but no session holds gets nothing, and nothing is registered.
    const other = await hook({ LINKER_KEY: key }, "hooked-peer");
    expect(other.stdout).toBe("");
    expect(other.stderr).toContain('does not bind the name "hooked-peer"');
    expect((await hook({ LINKER_KEY: key })).stdout).toContain("second");
  });

  it("keeps `linker hook --http` from sending a key in clear text beyond this machine", async () => {
    // The hook must refuse before it connects: had it tried, the error would name the connection instead.
    const run = await runCli(["--name", "hooked-container", "hook", "--http", "http://192.0.2.1:3847"], {
      home: tempDir("linker-hook-home-"),
      env: { LINKER_KEY: "lkk_not-a-real-key-0123456789" },
      input: JSON.stringify({ hook_event_name: "UserPromptSubmit" }),
    });
    expect([run.code, run.stdout]).toEqual([0, ""]);
    expect(run.stderr).toContain("refusing to send a credential in clear text to 192.0.2.1:3847: use an https:// hub URL");
  });

  it("refuses a session without a name and one that would take another instance's name", async () => {
    const anonymous = new Client({ name: "anonymous", version: "1.0.0" });
    await expect(anonymous.connect(new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`)))).rejects.toThrow();
    const { registerAgent, transportFor } = await import("../support/clients.js");
    await registerAgent((interceptors) => transportFor(hub.url, "grpc", interceptors), "owned-elsewhere");
    const thief = new Client({ name: "thief", version: "1.0.0" });
    await expect(
      thief.connect(new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), { requestInit: { headers: { "X-Linker-Name": "owned-elsewhere" } } })),
    ).rejects.toThrow();
  });
});
