import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "../cli/cli-process.js";
import { transports } from "../e2e/harness.js";

/** Escape sequences a hostile peer might send: colour, window title (OSC), cursor moves, a carriage return, a bell, a bidi override, a C1 CSI. */
const HOSTILE = "\u001b[31mred\u001b[0m \u001b]0;pwned\u0007 \u001b[2J\rover\u0007 \u202eevil \u009b31m";
/** Bytes that must never reach the terminal from peer text. */
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Finding 4: peer text with escape sequences was printed raw by `linker tail` and `linker inbox`. */
describe("the CLI escapes control characters in everything a peer wrote", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess();
  });
  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("linker inbox and ls show escapes where the peer put control characters, keeping newlines and tabs", async () => {
    const reader = new Agent("term-reader", hub.url);
    expect((await reader.run(["register"])).code).toBe(0);
    const peer = await registerAgent(transports(hub.url, "grpc"), "term-peer", { description: HOSTILE });
    await peer.client.setStatus({ status: `busy ${HOSTILE}` });
    await peer.client.send({ recipient: "term-reader", body: `line one\n\tindented ${HOSTILE}` });

    const inbox = await reader.run(["inbox"]);
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(inbox.stdout).not.toMatch(RAW_CONTROLS);
    expect(inbox.stdout).toContain("\\x1b[31mred\\x1b[0m");
    expect(inbox.stdout).toContain("\\x1b]0;pwned\\x07");
    expect(inbox.stdout).toContain("\\u{202e}evil");
    expect(inbox.stdout).toContain("\\x9b31m");
    expect(inbox.stdout).toMatch(/line one\n/);

    const ls = await reader.run(["ls"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).not.toMatch(RAW_CONTROLS);
    expect(ls.stdout).toContain("busy \\x1b[31m");
  });

  it("linker tail prints a hostile message escaped", async () => {
    const reader = new Agent("term-tail", hub.url);
    expect((await reader.run(["register"])).code).toBe(0);
    const tail = reader.spawn(["tail", "--types", "message"]);
    await tail.waitForStderr(/tailing events of "term-tail"/);
    const peer = await registerAgent(transports(hub.url, "grpc"), "term-peer-2");
    await peer.client.send({ recipient: "term-tail", body: `tail ${HOSTILE} end` });
    await tail.waitForStdout(/tail .* end/);
    await tail.stop("SIGINT");
    expect(tail.stdout()).not.toMatch(RAW_CONTROLS);
    expect(tail.stdout()).toContain("\\x1b[31mred");
  });
});
