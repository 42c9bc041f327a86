import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hub, killAll, launchHub, removeTempDirs } from "./harness.js";

let hub: Hub;

/** What `curl -X POST -H 'content-type: application/json' -d <body>` would do. */
async function post(method: string, body: string, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${hub.url}/${method}`, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function register(name: string): Promise<string> {
  const response = await post("linker.v1.LinkerService/Register", JSON.stringify({ name }));
  expect(response.status, response.text).toBe(200);
  return (response.json() as { sessionToken: string }).sessionToken;
}

describe("plain Connect JSON over HTTP/1.1 (what curl sends)", () => {
  beforeAll(async () => {
    hub = await launchHub();
  });
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it("registers and sends with JSON bodies and a bearer token", async () => {
    const receiverToken = await register("json-receiver");
    const senderToken = await register("json-sender");

    const sent = await post("linker.v1.LinkerService/Send", JSON.stringify({ recipient: "json-receiver", body: "hi", priority: "PRIORITY_HIGH" }), senderToken);
    expect(sent.status, sent.text).toBe(200);
    expect(sent.contentType).toBe("application/json");
    const message = (sent.json() as { message: Record<string, unknown> }).message;
    expect(message).toMatchObject({ sender: "json-sender", recipient: "json-receiver", body: "hi", priority: "PRIORITY_HIGH", kind: "MESSAGE_KIND_TEXT" });
    expect(message.id).toEqual(expect.any(String));
    expect(Date.parse(message.sentAt as string)).not.toBeNaN();

    const listed = await post("linker.v1.LinkerService/ListMessages", "{}", receiverToken);
    expect(listed.status, listed.text).toBe(200);
    expect((listed.json() as { messages: Array<{ id: string }> }).messages.map((m) => m.id)).toEqual([message.id]);
  });

  it("serves side-effect-free methods over GET", async () => {
    const token = await register("json-getter");
    expect((await post("linker.v1.LinkerService/Heartbeat", "{}", token)).status).toBe(200);
    const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify({ onlineOnly: true }) });
    const response = await fetch(`${hub.url}/linker.v1.LinkerService/ListInstances?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const names = ((await response.json()) as { instances: Array<{ name: string }> }).instances.map((i) => i.name);
    expect(names).toContain("json-getter");
  });

  it("answers errors with a JSON body {code, message} and the matching HTTP status", async () => {
    const unauthenticated = await post("linker.v1.LinkerService/Send", JSON.stringify({ recipient: "json-receiver", body: "x" }));
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.contentType).toBe("application/json");
    expect(unauthenticated.json()).toEqual({ code: "unauthenticated", message: expect.stringContaining("Authorization: Bearer") });

    const token = await register("json-errors");
    const unknownRecipient = await post("linker.v1.LinkerService/Send", JSON.stringify({ recipient: "nobody-here", body: "x" }), token);
    expect(unknownRecipient.status).toBe(404);
    expect(unknownRecipient.json()).toEqual({ code: "not_found", message: expect.stringContaining("nobody-here") });

    const taken = await post("linker.v1.LinkerService/Register", JSON.stringify({ name: "json-errors" }));
    expect(taken.status).toBe(403);
    expect(taken.json()).toMatchObject({ code: "permission_denied", message: expect.stringContaining("resume_token") });

    const malformed = await post("linker.v1.LinkerService/Register", '{"name":');
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ code: "invalid_argument" });
  });

  it("carries buf.validate.Violations details on validation errors", async () => {
    const invalid = await post("linker.v1.LinkerService/Register", JSON.stringify({ name: "not a valid name!" }));
    expect(invalid.status).toBe(400);
    const body = invalid.json() as { code: string; message: string; details: Array<{ type: string; value: string; debug?: unknown }> };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("name");
    expect(body.details).toHaveLength(1);
    expect(body.details[0].type).toBe("buf.validate.Violations");
    expect(Buffer.from(body.details[0].value, "base64").length).toBeGreaterThan(0);

    // Nothing was registered.
    const listedToken = await register("json-lister");
    const listed = await post("linker.v1.LinkerService/ListInstances", "{}", listedToken);
    const names = (listed.json() as { instances: Array<{ name: string }> }).instances.map((i) => i.name);
    expect(names).not.toContain("not a valid name!");
  });

  it("answers health checks in JSON", async () => {
    const health = await post("grpc.health.v1.Health/Check", "{}");
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: "SERVING" });
  });
});
