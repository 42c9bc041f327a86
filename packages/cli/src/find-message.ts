import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type LinkerClient } from "@linker/client";

/**
 * A message this instance received or sent, by id: the first message of the
 * thread it started (queries start their own thread), else a scan of the inbox.
 */
export async function findMessage(client: LinkerClient, id: string): Promise<Message | undefined> {
  const thread = await client.getConversation({ selector: { case: "threadId", value: id }, pageSize: 1 });
  if (thread.messages[0]?.id === id) return thread.messages[0];
  let afterSeq = 0n;
  for (;;) {
    const page = await client.listMessages({ afterSeq, limit: 500 });
    const found = page.messages.find((message) => message.id === id);
    if (found) return found;
    if (!page.hasMore || page.messages.length === 0) return undefined;
    afterSeq = page.messages[page.messages.length - 1].seq;
  }
}
