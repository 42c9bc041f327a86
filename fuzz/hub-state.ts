import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** What a rejected request must leave as it was. */
export interface StateDigest {
  text: string;
}

/**
 * Reads the hub's state through the observer RPC GetHubStatus (answered to
 * loopback callers on an open hub): the event log's head, instances, memory
 * keys and tasks by status. Any change a request makes to what others can see
 * moves one of these (reading or acknowledging a message sends a receipt, an
 * event). Unread counts are left out: messages with a TTL expire on their own.
 */
export function hubState(url: string) {
  const client = createClient(LinkerService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  const read = async (): Promise<StateDigest> => {
    const { status } = await client.getHubStatus({}, { timeoutMs: 10_000 });
    const s = status!;
    return {
      text: JSON.stringify({
        head: String(s.headSeq),
        registered: s.instances?.registered,
        memory: s.memoryKeys,
        tasks: s.tasks.map((t) => `${t.status}:${t.count}`),
      }),
    };
  };
  /** The state once it stops moving (delivery marks and receipts land shortly after a success). */
  const settled = async (): Promise<StateDigest> => {
    let last = await read();
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const now = await read();
      if (now.text === last.text) return now;
      last = now;
    }
    return last;
  };
  return { read, settled };
}
