import { InvalidArgumentError } from "commander";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { Priority, PrioritySchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskPriority, TaskStatus, TaskPrioritySchema, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumChoices } from "./enum-names.js";
import { parseDuration, parseSince } from "./time-text.js";

/** Parses an integer option within [min, max]. */
export function integerArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Parses a revision (a whole number, 0 meaning "does not exist yet"). */
export function revisionArg(value: string): bigint {
  if (!/^\d{1,20}$/.test(value.trim())) throw new InvalidArgumentError("expected a revision: a whole number, 0 for create-only");
  return BigInt(value.trim());
}

/** Parses a duration ("30s", "5m", "1500ms"; a bare number is seconds) into milliseconds. */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as "30s", "5m", "2h" or "1500ms"');
  return ms;
}

/** Parses a duration into whole seconds (at least 1). */
export function secondsArg(value: string): number {
  return Math.max(1, Math.round(durationArg(value) / 1000));
}

/** Parses a point in time: a duration before now ("10m") or an ISO 8601 date. */
export function sinceArg(value: string): Date {
  const date = parseSince(value);
  if (!date) throw new InvalidArgumentError('expected a duration such as "10m" or a date such as "2025-01-31T12:00:00Z"');
  return date;
}

function choiceArg<T extends number>(choices: Map<string, number>, aliases: Record<string, string> = {}) {
  return (value: string): T => {
    const key = value.trim().toLowerCase().replace(/_/g, "-");
    const found = choices.get(aliases[key] ?? key);
    if (found === undefined) throw new InvalidArgumentError(`expected one of ${[...choices.keys(), ...Object.keys(aliases)].join(", ")}`);
    return found as T;
  };
}

/** Parses a message priority: low, normal, high, urgent. */
export const priorityArg = choiceArg<Priority>(enumChoices(PrioritySchema));

/** Parses a task priority: low, normal, high, urgent. */
export const taskPriorityArg = choiceArg<TaskPriority>(enumChoices(TaskPrioritySchema));

/** Parses a task status a task may be moved to with `task update`. */
export const taskStatusArg = choiceArg<TaskStatus>(
  new Map([...enumChoices(TaskStatusSchema)].filter(([, value]) => value !== TaskStatus.CANCELED)),
  { started: "in-progress", done: "completed" },
);

/** Parses comma-separated task states for `task ls --status` (repeatable). */
export function taskStatusListArg(value: string, previous: TaskStatus[] = []): TaskStatus[] {
  const parse = choiceArg<TaskStatus>(enumChoices(TaskStatusSchema), { started: "in-progress", done: "completed", cancelled: "canceled" });
  return [...previous, ...value.split(",").filter((item) => item.trim() !== "").map(parse)];
}

/** The kinds of stream events `tail --types` accepts. */
export const EVENT_TYPE_NAMES = ["message", "presence", "memory", "task", "receipt"] as const;

/** One kind of stream event. */
export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];

/** The Subscribe filter value of an event kind. */
export const EVENT_TYPE_OF: Record<EventTypeName, EventType> = {
  message: EventType.MESSAGE,
  presence: EventType.PRESENCE,
  memory: EventType.MEMORY,
  task: EventType.TASK,
  receipt: EventType.RECEIPT,
};

/** Parses comma-separated event kinds for `tail --types` (repeatable). */
export function eventTypesArg(value: string, previous: EventTypeName[] = []): EventTypeName[] {
  const names = value
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "")
    .map((item) => ((EVENT_TYPE_NAMES as readonly string[]).includes(item.replace(/s$/, "")) ? item.replace(/s$/, "") : item));
  for (const name of names) {
    if (!(EVENT_TYPE_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`expected some of ${EVENT_TYPE_NAMES.join(", ")}`);
  }
  return [...new Set([...previous, ...(names as EventTypeName[])])];
}

/** Parses `key=value` labels (repeatable). */
export function labelArg(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError("expected key=value");
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
