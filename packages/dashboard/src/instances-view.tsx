import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { ago } from "./format.js";
import type { HubModel } from "./hub-model.js";

/** Every registered instance: presence, status, workspace, branch and backlog. */
export function InstancesView({ model }: { model: HubModel }) {
  const backlog = new Map((model.status?.backlogs ?? []).map((row) => [row.name, row.unread]));
  const instances = [...model.instances.values()].sort((a, b) => b.presence - a.presence || a.name.localeCompare(b.name));
  return (
    <section class="panel instances">
      <h2>Instances ({instances.length})</h2>
      <table>
        <thead>
          <tr>
            <th>name</th>
            <th>status</th>
            <th>workspace</th>
            <th>branch</th>
            <th>unread</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((instance) => {
            const online = instance.presence === Presence.ONLINE;
            const ws = instance.workspace;
            return (
              <tr key={instance.name} data-testid={`instance-${instance.name}`} data-presence={online ? "online" : "offline"}>
                <td>
                  <span class={online ? "dot online" : "dot"} title={online ? "online" : `offline, seen ${ago(instance.lastSeenAt)}`} />
                  {instance.name}
                  {instance.client && <span class="muted"> {instance.client}</span>}
                </td>
                <td>{instance.status}</td>
                <td title={ws?.path}>{ws?.project || ws?.path || ""}</td>
                <td>{ws?.gitBranch ?? ""}</td>
                <td class="num">{backlog.get(instance.name) ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
