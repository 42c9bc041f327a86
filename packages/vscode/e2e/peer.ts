import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { type LinkerClient } from "@linker/client";
import { PEER_CLAUDE_QUESTION, PEER_GREETING, PEER_REQUESTS, PEER_TASK_TITLE } from "./peer-protocol.js";

/** What the peer observed, for the driver's final checks. */
export interface PeerRecord {
  queries: string[];
  completedTasks: { title: string; result: string }[];
  contexts: { project: string; branch: string }[];
  errors: string[];
}

/**
 * A second Linker client playing the other agent: it answers queries with
 * "pong: <query>", and acts on the requests in PEER_REQUESTS, reporting
 * what it saw back to the sender as messages. It uses autoHub on the same
 * database, so it takes the hub over when the VS Code window hosting it closes.
 */
export class Peer {
  /** What it saw. */
  readonly record: PeerRecord = { queries: [], completedTasks: [], contexts: [], errors: [] };

  constructor(readonly client: LinkerClient) {
    client.on("message", ({ message }) => void this.onMessage(message).catch((err: unknown) => this.fail(err)));
    client.on("task", ({ change }) => {
      const task = change.task;
      if (!task || task.assigner !== client.name || task.status !== TaskStatus.COMPLETED) return;
      this.record.completedTasks.push({ title: task.title, result: task.result });
      void client.send({ recipient: task.assignee, body: `peer saw “${task.title}” completed: ${task.result}` }).catch((err: unknown) => this.fail(err));
    });
  }

  private fail(err: unknown): void {
    this.record.errors.push(err instanceof Error ? err.message : String(err));
  }

  private async onMessage(message: Message): Promise<void> {
    const client = this.client;
    if (message.sender === client.name) return;
    if (message.kind === MessageKind.QUERY) {
      this.record.queries.push(message.body);
      await client.reply(message, { body: `pong: ${message.body}` });
      return;
    }
    if (message.kind === MessageKind.CONTEXT && message.attachment?.content.case === "context") {
      const context = message.attachment.content.value;
      this.record.contexts.push({ project: context.projectName, branch: context.gitBranch });
      await client.send({ recipient: message.sender, body: `peer saw context: project=${context.projectName} branch=${context.gitBranch} file=${context.currentFile}` });
      return;
    }
    if (message.kind === MessageKind.CODE && message.attachment?.content.case === "code") {
      const code = message.attachment.content.value;
      await client.reply(message, { body: `peer saw code from ${code.path} (${code.language}, ${code.code.split("\n").length} lines)` });
      return;
    }
    switch (message.body) {
      case PEER_REQUESTS.messageMe:
        await client.send({ recipient: message.sender, body: PEER_GREETING });
        break;
      case PEER_REQUESTS.assignMeATask:
        await client.createTask({ title: PEER_TASK_TITLE, description: "Summarize what changed in 1.4.2.", assignee: message.sender });
        break;
      case PEER_REQUESTS.askMyVersion: {
        const { reply } = await client.ask({ recipient: message.sender, body: "what version are you on?", timeoutMs: 20_000 });
        await client.send({ recipient: message.sender, body: `peer got: ${reply?.body ?? "(nothing)"}` });
        break;
      }
      case PEER_REQUESTS.askClaude: {
        const { reply } = await client.ask({ recipient: message.sender, body: PEER_CLAUDE_QUESTION, timeoutMs: 30_000 });
        await client.send({ recipient: message.sender, body: `peer got: ${reply?.body ?? "(nothing)"}` });
        break;
      }
      case PEER_REQUESTS.changeMemory: {
        const key = "api/base-url";
        const current = await client.getMemory({ key });
        await client.putMemory({ key, value: "http://peer-changed:9090", expectedRevision: current?.revision ?? 0n });
        await client.send({ recipient: message.sender, body: `peer changed ${key}` });
        break;
      }
    }
  }
}
