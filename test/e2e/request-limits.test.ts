import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { codeName, connectErrorOf, type Hub, killAll, launchHub, PROTOCOLS, removeTempDirs, transports } from "./harness.js";

/** The hub's message size limit in these tests. */
const MAX_MESSAGE_BYTES = 1024;
/** Far beyond what the transport reads (the limit plus its request overhead allowance). */
const OVERSIZED_BYTES = MAX_MESSAGE_BYTES + 100 * 1024;

let hub: Hub;

describe(`oversized requests (--max-message-bytes ${MAX_MESSAGE_BYTES})`, () => {
  beforeAll(async () => {
    hub = await launchHub({ args: ["--max-message-bytes", String(MAX_MESSAGE_BYTES)] });
  });
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it.each(PROTOCOLS)("are refused with RESOURCE_EXHAUSTED over %s and store nothing", async (protocol) => {
    const sender = await registerAgent(transports(hub.url, protocol), `big-sender-${protocol}`);
    const receiver = await registerAgent(transports(hub.url, protocol), `big-receiver-${protocol}`);
    const head = (await receiver.client.heartbeat({})).headSeq;

    // Beyond the transport's read limit: refused before the request is even decoded.
    const huge = await connectErrorOf(sender.client.send({ recipient: receiver.name, body: "x".repeat(OVERSIZED_BYTES) }));
    expect(codeName(huge.code), huge.message).toBe(codeName(Code.ResourceExhausted));

    const attachment = await connectErrorOf(
      sender.client.send({
        recipient: receiver.name,
        body: "see attachment",
        attachment: { content: { case: "file", value: { name: "big.bin", content: new Uint8Array(OVERSIZED_BYTES) } } },
      }),
    );
    expect(codeName(attachment.code), attachment.message).toBe(codeName(Code.ResourceExhausted));

    // Within the read limit but over the message limit: refused by the hub with advice.
    const over = await connectErrorOf(sender.client.send({ recipient: receiver.name, body: "y".repeat(MAX_MESSAGE_BYTES + 1) }));
    expect(codeName(over.code), over.message).toBe(codeName(Code.ResourceExhausted));
    expect(over.rawMessage).toContain(`limit of ${MAX_MESSAGE_BYTES} bytes`);

    const broadcast = await connectErrorOf(sender.client.broadcast({ body: "z".repeat(OVERSIZED_BYTES) }));
    expect(codeName(broadcast.code), broadcast.message).toBe(codeName(Code.ResourceExhausted));

    // Nothing was stored and no event was appended.
    const inbox = await receiver.client.listMessages({});
    expect(inbox.messages).toEqual([]);
    expect(inbox.unreadCount).toBe(0);
    expect((await receiver.client.heartbeat({})).headSeq).toBe(head);

    // The same clients keep working: a message at the limit goes through.
    const fits = await sender.client.send({ recipient: receiver.name, body: "w".repeat(MAX_MESSAGE_BYTES) });
    const after = await receiver.client.listMessages({});
    expect(after.messages.map((m) => m.id)).toEqual([fits.message!.id]);
  });

  it("answers an oversized Connect JSON POST with 429 and a resource_exhausted body", async () => {
    const register = await fetch(`${hub.url}/linker.v1.LinkerService/Register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "big-json" }),
    });
    const { sessionToken } = (await register.json()) as { sessionToken: string };
    const response = await fetch(`${hub.url}/linker.v1.LinkerService/Send`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ recipient: "big-json", body: "x".repeat(OVERSIZED_BYTES) }),
    });
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ code: "resource_exhausted", message: expect.any(String) });

    const listed = await fetch(`${hub.url}/linker.v1.LinkerService/ListMessages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
      body: "{}",
    });
    expect(((await listed.json()) as { messages?: unknown[] }).messages ?? []).toEqual([]);
  });
});
