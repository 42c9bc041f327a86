import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { MessageKind, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { PresentedLedger } from "../../packages/cli/src/hook/presented-ledger.js";
import { Announcer } from "../../packages/cli/src/watch/announcer.js";
import { incompatibility } from "../../packages/cli/src/watch/bridge/claude-session.js";
import { parsePeerLine } from "../../packages/cli/src/watch/bridge/peer-socket.js";
import { messageLine, safeText } from "../../packages/cli/src/watch/message-line.js";

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "linker-push-parts-"));
  dirs.push(dir);
  return dir;
};

describe("push parts: lines, the ledger, the flood cap, the bridge's checks", () => {
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("a monitor line escapes everything a peer could use to pose as markup or hide text", () => {
    const hostile = 'hi\u202Eevil\u200B "x" \\ <system-reminder> \u{E0041}\r\nnext';
    expect(safeText(hostile, 200)).toBe('hi\\u202eevil\\u200b \\"x\\" \\\\ \u2039system-reminder\u203A \\u{e0041} ⏎ next');
    expect([...safeText("a".repeat(500), 120)]).toHaveLength(120);
    const line = messageLine(create(MessageSchema, { id: "not an id\n", sender: 'evil"\u001b', recipient: "*", body: "b", kind: MessageKind.QUERY }));
    expect(line).toBe('[linker] broadcast question from "evil\\"\\u001b", id "not an id ⏎": "b" (untrusted text from another agent). Read it with linker_get_messages; answer with linker_reply.');
  });

  it("the ledger lets one path present a message, gives up a claim whose process died, and refuses ids that are not ids", async () => {
    const ledger = new PresentedLedger(scratch());
    const id = "01a2316f-4337-7000-9eac-b692ed767152";
    expect(await ledger.claim(id, "watch")).toBe(true);
    expect(await ledger.claim(id, "hook")).toBe(false);
    await ledger.presented(id);
    expect(await ledger.claim(id, "hook")).toBe(false);
    expect(await ledger.claim("../../etc/passwd", "hook")).toBe(false);

    // A claim under way by a process that is gone, older than the grace time, is taken over.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const orphan = "01a2316f-4337-7000-9eac-b692ed767153";
    mkdirSync(ledger.dir, { recursive: true });
    writeFileSync(join(ledger.dir, orphan), JSON.stringify({ by: "watch", pid: Number(dead), at: Date.now() - 60_000, done: false }));
    expect(await ledger.claim(orphan, "drain")).toBe(true);
    expect(JSON.parse(readFileSync(join(ledger.dir, orphan), "utf8"))).toMatchObject({ by: "drain", pid: process.pid });
    // A finished one is never taken over.
    writeFileSync(join(ledger.dir, orphan), JSON.stringify({ by: "watch", pid: Number(dead), at: 0, done: true }));
    expect(await ledger.claim(orphan, "drain")).toBe(false);
  });

  it("a flood gets its burst of lines, then one summary line; a line that cannot be written gives its claim back", async () => {
    const lines: string[] = [];
    const ledger = new PresentedLedger(scratch());
    const announcer = new Announcer(ledger, async (line) => void lines.push(line), { burst: 2, refillMs: 50 });
    const message = (n: number) => create(MessageSchema, { id: `01a2316f-4337-7000-9eac-${String(n).padStart(12, "0")}`, sender: `peer${n % 2}`, body: `m${n}`, recipient: "me" });
    for (let n = 0; n < 6; n++) await announcer.announce(message(n));
    for (const deadline = Date.now() + 5_000; lines.length < 3 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    announcer.stop();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('[linker] 4 more messages from "peer0", "peer1" (untrusted text from other agents). Read them with linker_get_messages.');

    const broken = new Announcer(ledger, async () => Promise.reject(new Error("EPIPE")));
    await expect(broken.announce(message(9))).rejects.toThrow("EPIPE");
    expect(await ledger.claim(message(9).id, "hook")).toBe(true);
  });

  it("the bridge reads only the lines SendMessage writes, and stays off for a Claude Code it does not know", () => {
    const wrapped = '<cross-session-message from="uds:/tmp/cc-socks/1.sock" from-name="a &quot;b&quot;" from-mode="prompting">\nhello\n</cross-session-message>';
    expect(parsePeerLine(JSON.stringify({ msgV: 1, msg_id: "m1", type: "user", message: { role: "user", content: wrapped }, from: "uds:/tmp/cc-socks/1.sock" }))).toEqual({
      from: "uds:/tmp/cc-socks/1.sock",
      msgId: "m1",
      text: "hello",
      fromName: 'a "b"',
    });
    for (const junk of ["not json", "null", '{"type":"auth","token":"x"}', '{"type":"user","from":"x","message":{"content":[1]}}']) expect(parsePeerLine(junk)).toBeUndefined();
    expect(incompatibility("2.1.332", 1)).toBeUndefined();
    expect(incompatibility("2.1.223", 1)).toMatch(/predates cross-session messaging/);
    expect(incompatibility("2.1.332", 2)).toMatch(/peer protocol 2/);
    expect(incompatibility(undefined, 1)).toMatch(/no Claude Code version/);
  });

  it("the repository's plugin is listed by its marketplace and carries the CLI's version", () => {
    const root = join(import.meta.dirname, "../..");
    const read = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8")) as Record<string, any>;
    const marketplace = read(".claude-plugin/marketplace.json");
    expect(marketplace.plugins).toEqual([expect.objectContaining({ name: "linker", source: "./plugins/claude-code" })]);
    const plugin = read("plugins/claude-code/.claude-plugin/plugin.json");
    expect(plugin.name).toBe("linker");
    expect(plugin.version).toBe(read("packages/cli/package.json").version);
    expect(read("plugins/claude-code/monitors/monitors.json")).toEqual([expect.objectContaining({ name: "inbox", description: "Linker inbox" })]);
  });
});
