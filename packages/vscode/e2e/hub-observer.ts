import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { type LinkerClient, probeHub } from "@linker/client";

// What the end-to-end driver observes of the hub from outside VS Code: its processes, its state, the windows' logs.

/** The hub child processes running now (the .vsix's hub-process.cjs), with the runtime each runs on. */
export async function hubChildren(): Promise<{ pid: number; runtime: string }[]> {
  const found: { pid: number; runtime: string }[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      if (!cmdline.some((arg) => arg.endsWith("/dist/hub-process.cjs"))) continue;
      found.push({ pid: Number(entry), runtime: await readlink(`/proc/${entry}/exe`) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** True while process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Watches the hand-over from the hub child `pid`: resolves with how long
 * the port had no serving hub, from the moment that child stopped serving
 * (or exited) to the moment a new child serves it.
 */
export async function watchHandover(url: string, pid: number, timeoutMs: number): Promise<{ gapMs: number; newPid: number }> {
  const deadline = Date.now() + timeoutMs;
  let goneAt: number | undefined;
  while (Date.now() < deadline) {
    const serving = (await probeHub(url, 200)) === "serving";
    const oldAlive = alive(pid);
    if ((!serving || !oldAlive) && goneAt === undefined) goneAt = Date.now();
    if (serving && !oldAlive) {
      const next = (await hubChildren()).find((child) => child.pid !== pid);
      if (next && goneAt !== undefined) return { gapMs: Date.now() - goneAt, newPid: next.pid };
    }
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`no new hub took over from pid ${pid} within ${timeoutMs} ms`);
}

/** The lines of every window's Claude Team log that say how it hosts or hands over. */
export async function hostingLogLines(userDataDir: string): Promise<string[]> {
  const logs = (await readdir(join(userDataDir, "logs"), { recursive: true })).map(String).filter((file) => file.endsWith("Claude Team.log"));
  const lines: string[] = [];
  for (const log of logs) {
    for (const line of (await readFile(join(userDataDir, "logs", log), "utf8")).split("\n")) {
      if (/hosting the hub|cannot host|now hosts|took over|stopping the hub/.test(line)) lines.push(line);
    }
  }
  return lines;
}

/** Everything on the hub the hand-over must keep: each message the window and the peer exchanged, every task and memory key. */
export async function hubState(peer: LinkerClient, windowName: string): Promise<string> {
  const messages: string[] = [];
  for (let pageToken = "", first = true; first || pageToken; first = false) {
    const page = await peer.getConversation({ selector: { case: "peer", value: windowName }, pageSize: 200, pageToken });
    for (const message of page.messages) messages.push(`${message.id} ${message.sender}→${message.recipient}: ${message.body}`);
    pageToken = page.nextPageToken;
  }
  const tasks: string[] = [];
  for (let pageToken = "", first = true; first || pageToken; first = false) {
    const page = await peer.listTasks({ pageSize: 200, pageToken });
    for (const task of page.tasks) tasks.push(`${task.id} ${task.title} status=${task.status} rev=${task.revision} ${task.assigner}→${task.assignee} ${task.result}`);
    pageToken = page.nextPageToken;
  }
  const memory: string[] = [];
  for (let pageToken = "", first = true; first || pageToken; first = false) {
    const page = await peer.listMemory({ pageSize: 500, pageToken });
    for (const entry of page.entries) memory.push(`${entry.key}@${entry.revision}=${entry.value}`);
    pageToken = page.nextPageToken;
  }
  return JSON.stringify({ messages: messages.sort(), tasks: tasks.sort(), memory: memory.sort() }, null, 1);
}

