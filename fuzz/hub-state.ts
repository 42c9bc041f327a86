import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Event, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MemoryChangeKind } from "@linker/protocol/gen/linker/v1/memory_pb.js";

/** What a rejected request must leave as it was. */
export interface StateDigest {
  /** The event log's head. */
  head: bigint;
  /** The messages stored and every registered name, as JSON. */
  rest: string;
}

/** Whether two digests are equal. */
function same(a: StateDigest, b: StateDigest): boolean {
  return a.head === b.head && a.rest === b.rest;
}

/** A digest as a finding shows it. */
export function digestText(digest: StateDigest): string {
  return `head ${digest.head}, ${digest.rest}`;
}

/** An event no request causes: an instance going offline, or a memory key whose TTL ran out. */
function timeDriven(event: Event): boolean {
  const { payload } = event;
  return (payload.case === "presence" && payload.value.kind === PresenceChangeKind.LEFT) || (payload.case === "memory" && payload.value.kind === MemoryChangeKind.EXPIRED);
}

/**
 * Reads the hub's state through RPCs a loopback caller on an open hub may
 * make without a session, all answered from the store or live counters (the
 * hub's census of instances, tasks and memory is a snapshot up to a second
 * old, so it is not used): the event log's head, the messages stored, and
 * every registered name (ListInstances, paged). Any change a request makes to
 * what others can see moves one of these: messages, receipts, presence,
 * memory and task changes are events, and a registration adds a name.
 * Unread counts are left out: messages with a TTL expire on their own. So
 * do memory keys, and an instance goes offline when its lease runs out or a
 * stream an earlier request opened ends: `changed` lets those events through.
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
    return { head: status!.headSeq, rest: JSON.stringify({ stored: String(status!.messages?.stored ?? 0n), registered }) };
  };
  /** The events after `after`, read through WatchHub until it has caught up. */
  const eventsAfter = async (after: bigint): Promise<Event[]> => {
    const events: Event[] = [];
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 10_000);
    try {
      for await (const response of client.watchHub({ afterSeq: after }, { signal: stop.signal })) {
        if (response.item.case === "caughtUp") break;
        if (response.item.case === "event") events.push(response.item.value);
      }
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
    return events;
  };
  /** Whether `after` differs from `before` by more than what time does on its own. */
  const changed = async (before: StateDigest, after: StateDigest): Promise<boolean> => {
    if (same(before, after)) return false;
    if (after.rest !== before.rest || after.head < before.head) return true;
    return (await eventsAfter(before.head)).some((event) => !timeDriven(event));
  };
  /** The state once it stops moving (delivery marks and receipts land shortly after a success). */
  const settled = async (): Promise<StateDigest> => {
    let last = await read();
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const now = await read();
      if (same(now, last)) return now;
      last = now;
    }
    return last;
  };
  return { read, settled, changed };
}
