import * as vscode from "vscode";
import { type Instance, Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { type LinkerClient } from "@linker/client";

/** Target value meaning "everyone" (a broadcast). */
export const EVERYONE = "*";
/** Target value meaning "nobody yet" (an open task). */
export const OPEN_TASK = "";

/** What the instance quick pick offers. */
export interface PickInstanceOptions {
  /** Title of the quick pick. */
  title: string;
  /** Also list offline instances (they get messages and tasks when they come back). */
  includeOffline?: boolean;
  /** Offer "Everyone" (broadcast). */
  everyone?: boolean;
  /** Offer "Anyone (open task)". */
  openTask?: boolean;
}

interface InstancePick extends vscode.QuickPickItem {
  target?: string;
}

/** One line about an instance for pickers: project, branch, status. */
export function instanceDetail(instance: Instance): string {
  return [instance.workspace?.project, instance.workspace?.gitBranch ? `⎇ ${instance.workspace.gitBranch}` : "", instance.status, instance.description]
    .filter((part) => part)
    .join(" · ");
}

/**
 * Asks which instance to address, listing the hub's current online instances
 * (and, when allowed, offline ones and the special targets). Returns the
 * name, EVERYONE, OPEN_TASK, or undefined when the user cancels. Throws when
 * there is nobody to pick, with a message saying so.
 */
export async function pickInstance(client: LinkerClient, options: PickInstanceOptions): Promise<string | undefined> {
  const instances = (await client.listInstances()).filter((instance) => instance.name !== client.name);
  const online = instances.filter((instance) => instance.presence === Presence.ONLINE);
  const offline = instances.filter((instance) => instance.presence !== Presence.ONLINE);
  const items: InstancePick[] = [];
  if (options.everyone) items.push({ label: "$(broadcast) Everyone", description: "all other instances", target: EVERYONE });
  if (options.openTask) items.push({ label: "$(person-add) Anyone", description: "an open task someone claims", target: OPEN_TASK });
  for (const instance of online) items.push({ label: `$(circle-filled) ${instance.name}`, description: instanceDetail(instance), target: instance.name });
  if (options.includeOffline && offline.length > 0) {
    items.push({ label: "offline — gets it when back", kind: vscode.QuickPickItemKind.Separator });
    for (const instance of offline) items.push({ label: `$(circle-outline) ${instance.name}`, description: instanceDetail(instance), target: instance.name });
  }
  if (!items.some((item) => item.target !== undefined)) {
    throw new Error(
      options.includeOffline
        ? `No other instance is registered on ${client.hubUrl} yet.`
        : `No other instance is online on ${client.hubUrl}${offline.length > 0 ? ` (offline: ${offline.map((instance) => instance.name).join(", ")})` : ""}.`,
    );
  }
  const picked = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: "Instance", matchOnDescription: true });
  return picked?.target;
}
