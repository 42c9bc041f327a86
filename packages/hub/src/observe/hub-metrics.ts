import { collectDefaultMetrics, Registry } from "prom-client";
import { MessageKind, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { Hub } from "../hub.js";
import { collectedMetric } from "./fixed-histogram.js";

/** Instances whose backlog gets a series of its own (the largest ones). */
const TOP_BACKLOGS = 10;

/** Lower-case enum value name without its prefix (HIGH → "high"). */
function label<E extends Record<string, string | number>>(values: E, value: number): string {
  return String((values as Record<number, string>)[value] ?? value).toLowerCase();
}

/**
 * The Prometheus registry of one hub. Counters and histograms are kept by the
 * hub as it runs (allocation-free on the hot path); gauges are computed when
 * scraped from what the hub already holds (presence, fanout, census), with
 * one count per instance for the backlogs, shared for a second.
 */
export function createHubMetrics(hub: Hub): Registry {
  const { traffic, census, rpcs, storeTimes } = hub.observation;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const add = registry.registerMetric.bind(registry) as (metric: unknown) => void;
  add(rpcs);
  add(storeTimes);
  add(traffic.latency);
  const kinds = Object.values(MessageKind).filter((v): v is MessageKind => typeof v === "number" && v !== MessageKind.UNSPECIFIED);
  const priorities = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT];
  add(
    collectedMetric("linker_messages_stored_total", "Messages stored (a broadcast counts once), by kind and priority.", "counter", () =>
      kinds.flatMap((kind) =>
        priorities.map((priority) => ({
          labels: { kind: label(MessageKind, kind), priority: label(Priority, priority) },
          value: traffic.storedBy[kind * traffic.priorities + priority],
        })),
      ),
    ),
  );
  add(collectedMetric("linker_messages_delivered_total", "Direct messages delivered to a stream or a listing.", "counter", () => [{ value: traffic.delivered }]));
  add(collectedMetric("linker_messages_read_total", "Messages read (acknowledged or consumed), per recipient.", "counter", () => [{ value: traffic.read }]));
  add(
    collectedMetric("linker_asks_total", "Ask calls by outcome.", "counter", () =>
      Object.entries(traffic.asks).map(([outcome, value]) => ({ labels: { outcome }, value })),
    ),
  );
  add(
    collectedMetric("linker_registrations_total", "Register calls that succeeded: new names, and reclaims (every client reclaims after a hub takeover).", "counter", () => [
      { labels: { kind: "new" }, value: traffic.registrations.new },
      { labels: { kind: "reclaim" }, value: traffic.registrations.reclaimed },
    ]),
  );
  add(
    collectedMetric("linker_instances", "Registered instances by presence.", "gauge", async () => {
      const snapshot = await census.instances();
      return [
        { labels: { presence: "online" }, value: snapshot.online },
        { labels: { presence: "offline" }, value: snapshot.registered - snapshot.online },
      ];
    }),
  );
  add(collectedMetric("linker_unread_messages", "Unread messages in every inbox.", "gauge", async () => [{ value: (await census.instances()).unread }]));
  add(
    collectedMetric("linker_instance_backlog_messages", `Unread messages of the ${TOP_BACKLOGS} instances with the largest backlogs.`, "gauge", async () =>
      (await census.instances()).standings.slice(0, TOP_BACKLOGS).map((row) => ({ labels: { instance: row.name }, value: row.unread })),
    ),
  );
  add(collectedMetric("linker_subscribers", "Open Subscribe streams.", "gauge", () => [{ value: hub.deps.fanout.sizes().subscribers }]));
  add(collectedMetric("linker_watchers", "Open WatchHub streams (dashboards).", "gauge", () => [{ value: hub.deps.fanout.sizes().watchers }]));
  add(
    collectedMetric("linker_tasks", "Tasks by status.", "gauge", async () =>
      [...(await census.holdings()).tasks].map(([status, value]) => ({ labels: { status: label(TaskStatus, status) }, value })),
    ),
  );
  add(collectedMetric("linker_memory_keys", "Live shared memory keys.", "gauge", async () => [{ value: (await census.holdings()).memoryKeys }]));
  add(
    collectedMetric("linker_hub_info", "Constant 1, labelled with the hub's version and store.", "gauge", () => [
      { labels: { version: hub.observation.version, store: hub.deps.config.store }, value: 1 },
    ]),
  );
  add(collectedMetric("linker_hub_start_time_seconds", "When this hub started serving, in seconds since the epoch.", "gauge", () => [{ value: hub.observation.startedAt / 1000 }]));
  add(
    collectedMetric(
      "linker_hub_resumed",
      "1 when this hub started on a store that already held events: it restarted or took over from a hub that went away.",
      "gauge",
      async () => [{ value: (await hub.observation.resumedSeq.catch(() => 0n)) > 0n ? 1 : 0 }],
    ),
  );
  return registry;
}
