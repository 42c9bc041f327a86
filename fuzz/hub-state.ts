import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** What a rejected request must leave as it was. */
export interface StateDigest {
  text: string;
}

/**
 * Reads the hub's state through RPCs a loopback caller on an open hub may
 * make without a session, all answered from the store or live counters (the
 * hub's census of instances, tasks and memory is a snapshot up to a second
 * old, so it is not used): the event log's head, the messages stored, and
 * every registered name (ListInstances, paged). Any change a request makes to
 * what others can see moves one of these: messages, receipts, presence,
 * memory and task changes are events, and a registration adds a name.
 * Unread counts are left out: messages with a TTL expire on their own.
 */
export function hubState(url: string) {
  const client = createClient(LinkerService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  const names = async (): Promise<string[]> => {
    const all: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listInstances({ pageSize: 1000, pageToken }, { timeoutMs: 10_000 });
      all.push(...page.instances.map((instance) => instance.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return all;
  };
  const read = async (): Promise<StateDigest> => {
    const [{ status }, registered] = await Promise.all([client.getHubStatus({}, { timeoutMs: 10_000 }), names()]);
    return { text: JSON.stringify({ head: String(status!.headSeq), stored: String(status!.messages?.stored ?? 0n), registered }) };
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
