import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumText } from "./format.js";
import type { HubModel } from "./hub-model.js";

function Stat({ label, value, id, detail }: { label: string; value: string; id: string; detail?: string }) {
  return (
    <div class="stat" data-testid={`stat-${id}`}>
      <div class="value">{value}</div>
      <div class="label">{label}</div>
      {detail && <div class="detail">{detail}</div>}
    </div>
  );
}

/** Counts from GetHubStatus: instances, backlog, messages by status and priority, delivery latency, asks, tasks, memory. */
export function StatsView({ model }: { model: HubModel }) {
  const status = model.status;
  if (!status) return <section class="stats">waiting for the hub's status…</section>;
  const messages = status.messages;
  const uptime = status.startedAt && status.now ? Math.round((timestampMs(status.now) - timestampMs(status.startedAt)) / 1000) : 0;
  const byPriority = (messages?.byPriority ?? []).map((row) => `${row.count} ${enumText(Priority, row.priority).replace("priority ", "")}`).join(" · ");
  const latency = status.deliveryLatency;
  const tasks = status.tasks.map((row) => `${row.count} ${enumText(TaskStatus, row.status).replace("task status ", "")}`).join(" · ");
  return (
    <section class="stats">
      <Stat id="online" label="online" value={`${status.instances?.online ?? 0}/${status.instances?.registered ?? 0}`} detail={`${status.subscribers} streams`} />
      <Stat id="unread" label="unread now" value={String(status.unreadMessages)} />
      <Stat id="stored" label="stored" value={String(messages?.stored ?? 0n)} detail={byPriority} />
      <Stat id="delivered" label="delivered" value={String(messages?.delivered ?? 0n)} />
      <Stat id="read" label="read" value={String(messages?.read ?? 0n)} />
      <Stat
        id="latency"
        label="delivery p50 / p95"
        value={latency && latency.samples > 0 ? `${latency.p50Ms.toFixed(0)} / ${latency.p95Ms.toFixed(0)} ms` : "–"}
        detail={latency && latency.samples > 0 ? `mean ${latency.meanMs.toFixed(1)} ms over ${latency.samples}` : "no deliveries yet"}
      />
      <Stat id="asks" label="asks answered" value={String(status.asks?.answered ?? 0n)} detail={`${status.asks?.timedOut ?? 0n} timed out · ${status.asks?.noResponders ?? 0n} no responder`} />
      <Stat id="tasks" label="tasks" value={String(status.tasks.reduce((sum, row) => sum + row.count, 0))} detail={tasks} />
      <Stat id="memory" label="memory keys" value={String(status.memoryKeys)} />
      <Stat id="hub" label={`hub ${status.version}`} value={`up ${uptime < 3600 ? `${Math.floor(uptime / 60)}m` : `${Math.floor(uptime / 3600)}h`}`} detail={`${status.store}${status.dataDir ? ` · ${status.dataDir}` : ""}`} />
    </section>
  );
}
