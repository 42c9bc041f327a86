import { PresenceChangeKind, PresenceChangeKindSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MemoryChangeKind, MemoryChangeKindSchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { ReceiptKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskChangeKind, TaskChangeKindSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { type DataEvent } from "@linker/client";
import { enumName, kindName } from "./enum-names.js";
import { messageBody } from "./message-text.js";
import { indent, oneLine } from "./output.js";
import { taskParties, taskStatusText } from "./task-text.js";
import { clock } from "./time-text.js";

/** What an event says, after its seq, time and kind. */
function eventSummary(event: DataEvent): string {
  switch (event.type) {
    case "message": {
      const { message } = event;
      const to = message.recipient === "*" ? "all" : message.recipient;
      const body = messageBody(message);
      const head = `${message.sender} → ${to} ${kindName(message.kind)} ${message.id}`;
      return body.includes("\n") ? `${head}\n${indent(body)}` : `${head}: ${body}`;
    }
    case "presence": {
      const instance = event.change.instance;
      const what = enumName(PresenceChangeKindSchema, event.change.kind);
      return `${instance?.name ?? "?"} ${what}${instance?.status ? ` (status: ${oneLine(instance.status, 60)})` : ""}`;
    }
    case "memory": {
      const entry = event.change.entry;
      const what = enumName(MemoryChangeKindSchema, event.change.kind);
      const value = event.change.kind === MemoryChangeKind.PUT && entry ? ` = ${oneLine(entry.value, 60)}` : "";
      return `${entry?.key ?? "?"} ${what} rev ${entry?.revision ?? 0n}${entry?.updatedBy ? ` by ${entry.updatedBy}` : ""}${value}`;
    }
    case "task": {
      const { task, actor } = event.change;
      const what = enumName(TaskChangeKindSchema, event.change.kind);
      if (!task) return what;
      return `${task.id} ${what} by ${actor}: "${oneLine(task.title, 60)}" ${taskParties(task)} (${taskStatusText(task)})`;
    }
    case "receipt": {
      const { receipt } = event;
      return `${receipt.recipient} ${receipt.kind === ReceiptKind.READ ? "read" : "received"} ${receipt.messageId}`;
    }
  }
}

/** One stream event for people: `<seq>  <time>  <kind>  <what happened>`. */
export function eventLine(event: DataEvent): string {
  return `${String(event.event.seq).padStart(6)}  ${clock(event.event.at)}  ${event.type.padEnd(8)}  ${eventSummary(event)}`;
}
