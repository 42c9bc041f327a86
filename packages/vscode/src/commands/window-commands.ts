import * as vscode from "vscode";
import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { instanceDetail } from "../instance-picker.js";
import { type CommandDeps, registerCommand } from "./command-deps.js";

/**
 * Lists every instance on the hub (the seed's Show Windows) and offers what to
 * do with the one picked: ask it, message it, or assign it a task.
 */
export async function showWindows(deps: CommandDeps): Promise<string | undefined> {
  const client = deps.connection.require();
  await deps.windows.refresh();
  const instances = deps.windows.list();
  const picked = await vscode.window.showQuickPick(
    instances.map((instance) => ({
      label: `${instance.presence === Presence.ONLINE ? "$(circle-filled)" : "$(circle-outline)"} ${instance.name}${instance.name === client.name ? " (this window)" : ""}`,
      description: instanceDetail(instance),
      detail: `${instance.presence === Presence.ONLINE ? "online" : "offline"}${instance.client ? ` · ${instance.client}` : ""}${instance.workspace?.host ? ` · ${instance.workspace.host}` : ""}`,
      name: instance.name,
    })),
    { title: `Windows on ${client.hubUrl} (${deps.connection.mode === "hub" ? "hosted here" : "client"})`, placeHolder: "Pick one to ask, message or assign a task", matchOnDescription: true },
  );
  if (!picked || picked.name === client.name) return picked?.name;
  const action = await vscode.window.showQuickPick(["Send Query", "Send Message", "Assign Task"], { title: picked.name });
  if (action === "Send Query") await vscode.commands.executeCommand("claudeTeam.sendQuery", { target: picked.name });
  if (action === "Send Message") await vscode.commands.executeCommand("claudeTeam.sendMessage", { target: picked.name });
  if (action === "Assign Task") await vscode.commands.executeCommand("claudeTeam.assignTask", { target: picked.name });
  return picked.name;
}

/** Reloads every view from the hub. */
export async function refreshViews(deps: CommandDeps): Promise<void> {
  deps.connection.require();
  await Promise.all([deps.windows.refresh(), deps.messages.refresh(), deps.tasks.refresh(), deps.memory.refresh()]);
}

/** Registers Show Windows, Show Log, Refresh and Reconnect. */
export function registerWindowCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    registerCommand(deps, "claudeTeam.showWindows", "Show Windows", () => showWindows(deps)),
    registerCommand(deps, "claudeTeam.showLog", "Show Log", async () => deps.log.show()),
    registerCommand(deps, "claudeTeam.refresh", "Refresh", () => refreshViews(deps)),
    registerCommand(deps, "claudeTeam.reconnect", "Reconnect", async () => {
      await deps.connection.restart();
      return deps.connection.mode;
    }),
  ];
}
