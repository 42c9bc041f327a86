import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { HubStatus } from "@linker/protocol/gen/linker/v1/hub_status_pb.js";
import { PresenceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { PrioritySchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumName } from "./enum-names.js";
import { oneLine, type Row } from "./output.js";

/** "3d 4h", "2h 5m", "4m 10s" or "12s". */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** Table rows describing a hub's status for people. */
export function hubStatusRows(status: HubStatus, self: string): Row[] {
  const uptime = status.startedAt && status.now ? durationText(timestampMs(status.now) - timestampMs(status.startedAt)) : "unknown";
  const store = status.dataDir === "" ? status.store : `${status.store} in ${status.dataDir}`;
  const instances = status.instances;
  const messages = status.messages;
  const byPriority = (messages?.byPriority ?? [])
    .filter((row) => row.count > 0n)
    .map((row) => `${row.count} ${enumName(PrioritySchema, row.priority)}`)
    .join(", ");
  const tasks = status.tasks.map((row) => `${row.count} ${enumName(TaskStatusSchema, row.status)}`).join(", ");
  const latency = status.deliveryLatency;
  const asks = status.asks;
  const rows: Row[] = [
    ["version", `${status.version}, up ${uptime}${status.resumed ? ` (resumed a store at seq ${status.resumedSeq})` : ""}`],
    ["store", store],
    ["instances", `${instances?.registered ?? 0} registered, ${instances?.online ?? 0} online, ${instances?.offline ?? 0} offline`],
    ["streams", `${status.subscribers} subscribers, ${status.watchers} watchers`],
    ["unread", `${status.unreadMessages} messages waiting`],
    [
      "messages",
      `${messages?.stored ?? 0n} stored, ${messages?.delivered ?? 0n} delivered, ${messages?.read ?? 0n} read since start${byPriority ? ` (${byPriority})` : ""}`,
    ],
  ];
  if (latency && latency.samples > 0) {
    rows.push(["delivery", `p50 ${latency.p50Ms.toFixed(1)} ms, p95 ${latency.p95Ms.toFixed(1)} ms over the last ${latency.samples}`]);
  }
  rows.push(["asks", `${asks?.answered ?? 0n} answered, ${asks?.timedOut ?? 0n} timed out, ${asks?.noResponders ?? 0n} without responder, ${asks?.failed ?? 0n} failed`]);
  rows.push(["tasks", tasks || "none"], ["memory", `${status.memoryKeys} keys`]);
  for (const row of status.backlogs) {
    if (!row.registered) continue;
    if (row.unread === 0 && row.name !== self) continue;
    const text = row.status ? `, "${oneLine(row.status, 40)}"` : "";
    rows.push(["backlog", `${row.name}: ${row.unread} unread, ${enumName(PresenceSchema, row.presence)}${text}`]);
  }
  return rows;
}
