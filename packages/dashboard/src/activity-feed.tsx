import type { Event } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MemoryChangeKind } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { MessageKind, Priority, ReceiptKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskChangeKind, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { clock, enumText, excerpt } from "./format.js";
import type { HubModel } from "./hub-model.js";

/** One event as a short line: who did what. */
function describe(event: Event): { kind: string; text: string; tone?: string } {
  const p = event.payload;
  switch (p.case) {
    case "message": {
      const m = p.value;
      const to = m.recipient === "*" ? "everyone" : m.recipient;
      const kind = m.kind === MessageKind.TEXT ? "" : ` ${enumText(MessageKind, m.kind).replace("message kind ", "")}`;
      const urgent = m.priority >= Priority.HIGH ? ` [${enumText(Priority, m.priority).replace("priority ", "")}]` : "";
      return { kind: "message", text: `${m.sender} → ${to}${kind}${urgent}: ${excerpt(m.body)}`, tone: m.priority >= Priority.HIGH ? "hot" : undefined };
    }
    case "receipt":
      return { kind: "receipt", text: `${p.value.recipient} ${p.value.kind === ReceiptKind.READ ? "read" : "received"} ${p.value.messageId.slice(0, 8)}` };
    case "task": {
      const t = p.value.task;
      const what = enumText(TaskChangeKind, p.value.kind).replace("task change kind ", "");
      return { kind: "task", text: `${p.value.actor} ${what} “${excerpt(t?.title ?? "", 60)}” → ${t ? enumText(TaskStatus, t.status).replace("task status ", "") : ""}${t?.assignee ? ` (${t.assignee})` : " (open)"}` };
    }
    case "memory": {
      const e = p.value.entry;
      const what = enumText(MemoryChangeKind, p.value.kind).replace("memory change kind ", "");
      return { kind: "memory", text: `${e?.updatedBy || "hub"} ${what} ${e?.key} rev ${e?.revision}${p.value.kind === MemoryChangeKind.PUT ? ` = ${excerpt(e?.value ?? "", 60)}` : ""}` };
    }
    case "presence": {
      const what = p.value.kind === PresenceChangeKind.JOINED ? "joined" : p.value.kind === PresenceChangeKind.LEFT ? "left" : p.value.kind === PresenceChangeKind.REMOVED ? "was removed" : "updated";
      const status = p.value.instance?.status ? ` (${excerpt(p.value.instance.status, 40)})` : "";
      return { kind: "presence", text: `${p.value.instance?.name} ${what}${status}` };
    }
    default:
      return { kind: "other", text: "" };
  }
}

/** The live activity feed: every message, receipt, task and memory change on the hub, newest first. */
export function ActivityFeed({ model }: { model: HubModel }) {
  return (
    <section class="panel feed">
      <h2>Live activity</h2>
      <ol data-testid="feed">
        {model.feed.map(({ key, event }) => {
          const { kind, text, tone } = describe(event);
          return (
            <li key={key} class={`feed-${kind}${tone ? ` ${tone}` : ""}`} data-kind={kind}>
              <time>{clock(event.at)}</time> <span class="kind">{kind}</span> <span class="text">{text}</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
