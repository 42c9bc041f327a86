import { Code } from "@connectrpc/connect";
import * as vscode from "vscode";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { LinkerError } from "@linker/client";
import { MemoryItem } from "../views/memory-view.js";
import { askText, type CommandDeps, registerCommand } from "./command-deps.js";

/** Arguments of claudeTeam.setMemory (missing ones are asked for). */
export interface SetMemoryArgs {
  /** The key. */
  key?: string;
  /** The new value. */
  value?: string;
  /** Revision the value was read at (default: the one the Memory view shows; 0 = create only). */
  expectedRevision?: bigint | number | string;
  /** What to do when someone else changed the key meanwhile (default: ask). */
  onConflict?: "overwrite" | "cancel";
}

const KEY_PATTERN = /^[A-Za-z0-9_.:/@-]+$/;

/** Asks for a key: an existing one from the Memory view, or a new one. */
async function pickKey(deps: CommandDeps): Promise<string | undefined> {
  const keys = deps.memory.keys();
  const NEW = "$(add) New key…";
  const picked =
    keys.length === 0
      ? NEW
      : (
          await vscode.window.showQuickPick(
            [NEW, ...keys].map((label) => ({ label, description: label === NEW ? "" : `rev ${deps.memory.get(label)?.revision}` })),
            { title: "Set Memory", placeHolder: "Key" },
          )
        )?.label;
  if (picked !== NEW) return picked;
  const key = await vscode.window.showInputBox({
    title: "Set Memory",
    prompt: "New key (letters, digits and _ . : / @ -; slashes make namespaces)",
    placeHolder: "api/base-url",
    ignoreFocusOut: true,
    validateInput: (value) => (KEY_PATTERN.test(value) ? undefined : "Use letters, digits and _ . : / @ -"),
  });
  return key || undefined;
}

/**
 * Writes a key with compare-and-set against the revision this window last
 * saw (0 when it saw none: create only). When another instance changed the
 * key meanwhile, the user is shown its current value and decides whether to
 * overwrite it; nothing is overwritten silently.
 */
export async function setMemory(deps: CommandDeps, arg?: unknown): Promise<MemoryEntry | undefined> {
  const client = deps.connection.require();
  const args: SetMemoryArgs = arg instanceof MemoryItem ? { key: arg.entry.key, expectedRevision: arg.entry.revision } : ((arg as SetMemoryArgs | undefined) ?? {});
  const key = args.key ?? (await pickKey(deps));
  if (!key) return undefined;
  const known = args.expectedRevision === undefined ? (deps.memory.get(key) ?? (await client.getMemory({ key }))) : undefined;
  const expectedRevision = args.expectedRevision !== undefined ? BigInt(args.expectedRevision) : (known?.revision ?? 0n);
  const value = args.value ?? (await askText(`Value of ${key}`, { title: "Set Memory", value: known?.value, optional: true }));
  if (value === undefined) return undefined;
  try {
    const entry = await client.putMemory({ key, value, expectedRevision });
    deps.memory.upsert(entry);
    deps.log.info(`memory ${key} = ${JSON.stringify(value.slice(0, 200))} (revision ${entry.revision})`);
    return entry;
  } catch (err) {
    const conflict = err instanceof LinkerError && err.code === Code.FailedPrecondition ? err.memoryConflict : undefined;
    if (!conflict) throw err;
    const current = conflict.currentRevision === 0n ? undefined : await client.getMemory({ key });
    if (current) deps.memory.upsert(current);
    else deps.memory.remove(key);
    const who = current?.updatedBy ? ` by ${current.updatedBy}` : "";
    const text = current
      ? `${key} was changed${who} meanwhile (revision ${conflict.currentRevision}, value ${JSON.stringify(current.value.slice(0, 200))}).`
      : `${key} was deleted meanwhile.`;
    deps.log.warn(`memory ${key}: compare-and-set lost at revision ${expectedRevision}: ${text}`);
    const choice =
      args.onConflict === "overwrite" ? "Overwrite" : args.onConflict === "cancel" ? undefined : await vscode.window.showWarningMessage(text, { modal: true }, "Overwrite");
    if (choice !== "Overwrite") {
      void deps.errors.warn(`Set Memory: ${text} Your value was not written.`);
      return undefined;
    }
    const entry = await client.putMemory({ key, value, expectedRevision: conflict.currentRevision });
    deps.memory.upsert(entry);
    deps.log.info(`memory ${key} overwritten (revision ${entry.revision})`);
    return entry;
  }
}

/** Deletes a key at the revision shown (a concurrent change makes the delete fail instead of losing it). */
export async function deleteMemory(deps: CommandDeps, arg?: unknown, confirmed = false): Promise<boolean> {
  const client = deps.connection.require();
  const entry = arg instanceof MemoryItem ? arg.entry : typeof arg === "string" ? deps.memory.get(arg) : undefined;
  if (!entry) throw new Error("pick a key in the Memory view");
  if (!confirmed) {
    const choice = await vscode.window.showWarningMessage(`Delete ${entry.key} for every instance?`, { modal: true }, "Delete");
    if (choice !== "Delete") return false;
  }
  await client.deleteMemory({ key: entry.key, expectedRevision: entry.revision });
  deps.memory.remove(entry.key);
  deps.log.info(`memory ${entry.key} deleted`);
  return true;
}

/** Registers the memory commands. */
export function registerMemoryCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    registerCommand(deps, "claudeTeam.setMemory", "Set Memory", (arg?: unknown) => setMemory(deps, arg)),
    registerCommand(deps, "claudeTeam.editMemory", "Edit Memory", (arg?: unknown) => setMemory(deps, arg)),
    registerCommand(deps, "claudeTeam.deleteMemory", "Delete Memory", (arg?: unknown, confirmed?: boolean) => deleteMemory(deps, arg, confirmed === true)),
  ];
}
