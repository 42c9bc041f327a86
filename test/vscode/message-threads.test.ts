import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { type Message, MessageSchema, ReceiptKind, ReceiptSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { MessageThreads } from "../../packages/vscode/src/message-threads.js";
import { statusText } from "../../packages/vscode/src/status-bar.js";

function message(id: string, sender: string, recipient: string, threadId: string, at: number, read = false): Message {
  return create(MessageSchema, { id, sender, recipient, threadId, body: `${id} body`, sentAt: timestampFromMs(at), readAt: read ? timestampFromMs(at + 1) : undefined });
}

describe("MessageThreads", () => {
  it("groups by thread, puts unread threads first, then the newest", () => {
    const threads = new MessageThreads(() => "me");
    threads.add(message("a1", "alice", "me", "A", 1_000, true), message("b1", "bob", "me", "B", 2_000, true), message("c1", "me", "carol", "C", 3_000));
    threads.add(message("a2", "alice", "me", "A", 500));
    expect(threads.threads().map((thread) => thread.id)).toEqual(["A", "C", "B"]);
    expect(threads.unreadCount()).toBe(1);
    const a = threads.thread("A")!;
    expect(a.messages.map((m) => m.id)).toEqual(["a2", "a1"]);
    expect(a.peers).toEqual(["alice"]);
    expect(threads.thread("C")!.unread).toBe(0);
  });

  it("keeps read state when a message is seen again, and records read receipts", () => {
    const threads = new MessageThreads(() => "me");
    threads.add(message("x", "alice", "me", "T", 1_000));
    threads.markRead(["x"]);
    threads.add(message("x", "alice", "me", "T", 1_000));
    expect(threads.unreadCount()).toBe(0);
    threads.add(message("y", "me", "alice", "T", 2_000));
    threads.receipt(create(ReceiptSchema, { messageId: "y", recipient: "alice", kind: ReceiptKind.READ }));
    threads.receipt(create(ReceiptSchema, { messageId: "y", recipient: "bob", kind: ReceiptKind.DELIVERED }));
    expect(threads.readBy("y")).toEqual(["alice"]);
  });

  it("shows broadcasts as a thread with everyone", () => {
    const threads = new MessageThreads(() => "me");
    threads.add(message("z", "alice", "*", "Z", 1_000));
    expect(threads.thread("Z")!.peers).toEqual(["*", "alice"]);
  });
});

describe("status bar text", () => {
  it("shows the mode and the unread count", () => {
    expect(statusText("hub", 0)).toBe("$(radio-tower) Linker: hub");
    expect(statusText("client", 3)).toBe("$(plug) Linker: client $(mail) 3");
    expect(statusText("offline", 0)).toContain("offline");
  });
});
