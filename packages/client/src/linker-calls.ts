import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type {
  AckRequestSchema,
  AckResponse,
  AskRequestSchema,
  AskResponse,
  BroadcastRequestSchema,
  BroadcastResponse,
  CancelTaskRequestSchema,
  ClaimTaskRequestSchema,
  CreateTaskRequestSchema,
  DeleteMemoryRequestSchema,
  GetConversationRequestSchema,
  GetConversationResponse,
  GetMemoryRequestSchema,
  GetTaskRequestSchema,
  HeartbeatRequestSchema,
  HeartbeatResponse,
  LinkerService,
  ListInstancesRequestSchema,
  ListMemoryRequestSchema,
  ListMemoryResponse,
  ListMessagesRequestSchema,
  ListMessagesResponse,
  ListTasksRequestSchema,
  ListTasksResponse,
  PutMemoryRequestSchema,
  SendRequestSchema,
  SendResponse,
  SetStatusRequestSchema,
  UpdateTaskRequestSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Task } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { DescMessage } from "@bufbuild/protobuf";
import { LinkerError } from "./linker-error.js";

/** Fields of a request message except `K`. */
export type RequestFields<S extends DescMessage, K extends string = never> = Omit<MessageInitShape<S>, "$typeName" | K>;

/**
 * Every LinkerService call as a typed method taking the request the
 * generated types describe (`MessageInitShape` of its schema) and returning
 * what the caller needs of the response. A new proto field flows through
 * without an edit here. LinkerClient supplies the session and the transport.
 */
export abstract class LinkerCalls {
  /** The generated LinkerService client the calls go through. */
  abstract readonly rpc: Client<typeof LinkerService>;
  /** The hub URL calls go to now. */
  abstract readonly hubUrl: string;
  /** Resolves when calls can be made (registered, or holding the stored token). */
  protected abstract ready(): Promise<void>;

  // Identity (Unregister ends the client: see LinkerClient)

  /** Keeps this instance online without an event stream; reports unread messages. */
  async heartbeat(request: MessageInitShape<typeof HeartbeatRequestSchema> = {}): Promise<HeartbeatResponse> {
    await this.ready();
    return this.rpc.heartbeat(request);
  }

  /** Sets this instance's status text ("" clears it). */
  async setStatus(request: MessageInitShape<typeof SetStatusRequestSchema>): Promise<Instance | undefined> {
    await this.ready();
    return (await this.rpc.setStatus(request)).instance;
  }

  /** Registered instances with their presence. */
  async listInstances(request: MessageInitShape<typeof ListInstancesRequestSchema> = {}): Promise<Instance[]> {
    await this.ready();
    return (await this.rpc.listInstances(request)).instances;
  }

  // Messaging

  /**
   * Sends a direct message; resolves once the hub stored it. An idempotency
   * key is added when none is given, so retries across a failover store it once.
   */
  async send(request: MessageInitShape<typeof SendRequestSchema>): Promise<SendResponse> {
    await this.ready();
    return this.rpc.send(request);
  }

  /** Sends a message to every other registered instance (or only online ones). */
  async broadcast(request: MessageInitShape<typeof BroadcastRequestSchema>): Promise<BroadcastResponse> {
    await this.ready();
    return this.rpc.broadcast(request);
  }

  /** Answers a message: a RESPONSE to its sender, in its thread, with reply_to set. */
  async reply(original: Pick<Message, "id" | "sender">, request: RequestFields<typeof SendRequestSchema, "recipient" | "replyTo">): Promise<SendResponse> {
    await this.ready();
    return this.rpc.send({ kind: MessageKind.RESPONSE, ...request, recipient: original.sender, replyTo: original.id });
  }

  /**
   * Asks an online instance and waits for its reply (hub default wait unless
   * `timeoutMs`). Fails fast with NOT_FOUND/UNAVAILABLE when nobody can answer
   * and with DEADLINE_EXCEEDED when the wait runs out.
   */
  async ask(request: MessageInitShape<typeof AskRequestSchema>): Promise<AskResponse> {
    await this.ready();
    return this.rpc.ask(request);
  }

  /** Marks messages read (read receipts go to their senders). */
  async ack(request: MessageInitShape<typeof AckRequestSchema>): Promise<AckResponse> {
    await this.ready();
    return this.rpc.ack(request);
  }

  /** Lists this instance's messages, oldest first; peeks unless `markRead`. */
  async listMessages(request: MessageInitShape<typeof ListMessagesRequestSchema> = {}): Promise<ListMessagesResponse> {
    await this.ready();
    return this.rpc.listMessages(request);
  }

  /** One page of a thread, or of the direct history with a peer, oldest first. */
  async getConversation(request: MessageInitShape<typeof GetConversationRequestSchema>): Promise<GetConversationResponse> {
    await this.ready();
    return this.rpc.getConversation(request);
  }

  // Memory

  /** Reads a shared memory key; undefined when it does not exist. */
  async getMemory(request: MessageInitShape<typeof GetMemoryRequestSchema>): Promise<MemoryEntry | undefined> {
    await this.ready();
    try {
      return (await this.rpc.getMemory(request)).entry;
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.NotFound) return undefined;
      throw err;
    }
  }

  /**
   * Writes a shared memory key. With `expectedRevision` it is compare-and-set
   * (0 = create only); a lost race fails with FAILED_PRECONDITION and the
   * error's `memoryConflict` holds the current revision.
   */
  async putMemory(request: MessageInitShape<typeof PutMemoryRequestSchema>): Promise<MemoryEntry> {
    await this.ready();
    const entry = (await this.rpc.putMemory(request)).entry;
    if (!entry) throw this.missing("PutMemory", "entry");
    return entry;
  }

  /** Deletes a shared memory key (optionally only at a revision); returns the delete's revision. */
  async deleteMemory(request: MessageInitShape<typeof DeleteMemoryRequestSchema>): Promise<bigint> {
    await this.ready();
    return (await this.rpc.deleteMemory(request)).revision;
  }

  /** One page of memory entries under a prefix, in key order. */
  async listMemory(request: MessageInitShape<typeof ListMemoryRequestSchema> = {}): Promise<ListMemoryResponse> {
    await this.ready();
    return this.rpc.listMemory(request);
  }

  // Tasks

  /** Creates a task for an assignee, or an open one anybody can claim. */
  async createTask(request: MessageInitShape<typeof CreateTaskRequestSchema>): Promise<Task> {
    await this.ready();
    return this.task("CreateTask", (await this.rpc.createTask(request)).task);
  }

  /** Moves a task through its states, adds a note or a result. */
  async updateTask(request: MessageInitShape<typeof UpdateTaskRequestSchema>): Promise<Task> {
    await this.ready();
    return this.task("UpdateTask", (await this.rpc.updateTask(request)).task);
  }

  /** Takes an open task; of concurrent claimers exactly one wins. */
  async claimTask(request: MessageInitShape<typeof ClaimTaskRequestSchema>): Promise<Task> {
    await this.ready();
    return this.task("ClaimTask", (await this.rpc.claimTask(request)).task);
  }

  /** Reads a task. */
  async getTask(request: MessageInitShape<typeof GetTaskRequestSchema>): Promise<Task> {
    await this.ready();
    return this.task("GetTask", (await this.rpc.getTask(request)).task);
  }

  /** One page of tasks, newest first. */
  async listTasks(request: MessageInitShape<typeof ListTasksRequestSchema> = {}): Promise<ListTasksResponse> {
    await this.ready();
    return this.rpc.listTasks(request);
  }

  /** Cancels a task this instance assigned. */
  async cancelTask(request: MessageInitShape<typeof CancelTaskRequestSchema>): Promise<Task> {
    await this.ready();
    return this.task("CancelTask", (await this.rpc.cancelTask(request)).task);
  }

  private task(rpc: string, task: Task | undefined): Task {
    if (!task) throw this.missing(rpc, "task");
    return task;
  }

  private missing(rpc: string, field: string): LinkerError {
    return new LinkerError(`the hub's answer has no ${field}`, Code.Internal, { rpc, hubUrl: this.hubUrl, hint: "the hub may be of another version" });
  }
}
