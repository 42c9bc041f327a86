import { type Instance, Presence, PresenceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { enumName } from "./enum-names.js";
import { oneLine, table } from "./output.js";
import { ago } from "./time-text.js";

/** Where an instance works, short: project@branch on host. */
export function workspaceText(instance: Instance): string {
  const ws = instance.workspace;
  if (!ws) return "-";
  const project = ws.project || ws.path || "-";
  const branch = ws.gitBranch ? `@${ws.gitBranch}` : "";
  return `${project}${branch}${ws.host ? ` on ${ws.host}` : ""}`;
}

/** Instances as an aligned table; `self` is marked. */
export function instanceLines(instances: Instance[], self: string): string[] {
  const now = Date.now();
  return table([
    ["NAME", "PRESENCE", "STATUS", "WORKSPACE", "LAST SEEN"],
    ...instances.map((instance) => [
      instance.name === self ? `${instance.name} (you)` : instance.name,
      instance.presence === Presence.UNSPECIFIED ? "-" : enumName(PresenceSchema, instance.presence),
      instance.status ? oneLine(instance.status, 40) : "-",
      workspaceText(instance),
      instance.presence === Presence.ONLINE ? "now" : ago(instance.lastSeenAt, now),
    ]),
  ]);
}
