import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import {
  type AckResponse,
  type AskRequestSchema,
  type AskResponse,
  type BroadcastRequestSchema,
  type BroadcastResponse,
  type CreateTaskRequestSchema,
  type GetConversationResponse,
  type HeartbeatResponse,
  type ListInstancesRequestSchema,
  type ListMemoryRequestSchema,
  type ListMemoryResponse,
  type ListMessagesRequestSchema,
  type ListMessagesResponse,
  type ListTasksRequestSchema,
  type ListTasksResponse,
  type LinkerService,
  type RegisterResponse,
  type SendRequestSchema,
  type SendResponse,
  type UpdateTaskRequestSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Task } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { LinkerEventMap } from "./client-events.js";
import { composeClient } from "./client-composition.js";
import type { LinkerClientOptions } from "./client-options.js";
import type { ClientSession, RegistrationDetails } from "./client-session.js";
import type { ClientState, ClientStream, StreamStats } from "./client-stream.js";
import type { ClientLogger } from "./client-logger.js";
import type { CursorCheckpoint } from "./cursor-checkpoint.js";
import type { EventBus, EventsOptions } from "./event-bus.js";
import type { HubEndpoints } from "./hub-endpoints.js";
import type { HubKeeper } from "./hub-keeper.js";
import { LinkerError, toLinkerError } from "./linker-error.js";

/** Fields of a request message except `K` (the ones a typed method takes as arguments). */
export type RequestFields<S extends DescMessage, K extends string = never> = Omit<MessageInitShape<S>, "$typeName" | K>;

/** Counters a client keeps (for status output and `npm run bench`). */
export interface ClientStats extends StreamStats {
  /** Automatic re-registrations after the hub forgot the session. */
  renewals: number;
}

/**
 * The Linker client: registers (reclaiming its name with the stored session
 * token), keeps one resilient event stream, and offers every RPC as a typed
 * method. Calls fail over between hub URLs, or with autoHub keep the
 * machine's hub alive; the stream resumes from the last delivered seq after
 * any break, and redelivered messages are dropped by id, so each message
 * reaches the application once. Failures are LinkerErrors.
 *
 * It is a thin surface over its parts: the session (registration, renewal,
 * token persistence), the cursor checkpoint, the event bus, and the stream
 * with its heartbeats.
 */
export class LinkerClient {
  /** The instance name. */
  readonly name: string;
  /**
   * The generated LinkerService client, with session, failover and retries.
   * Prefer the typed methods; this is for requests they do not cover.
   */
  readonly rpc: Client<typeof LinkerService>;

  private readonly options: LinkerClientOptions;
  private readonly logger: ClientLogger;
  private readonly endpoints: HubEndpoints;
  private readonly keeper: HubKeeper | undefined;
  private readonly bus: EventBus;
  private readonly checkpoints: CursorCheckpoint;
  private readonly session: ClientSession;
  private readonly stream: ClientStream;
  private connecting: Promise<RegisterResponse> | undefined;
  private connectionState: ClientState = "idle";
  private closing: Promise<void> | undefined;

  constructor(options: LinkerClientOptions) {
    this.options = options;
    this.name = options.name;
    const parts = composeClient(options, {
      connect: () => this.connect(),
      closedError: (what) => this.closedError(what),
      hosting: () => this.hosting,
      onState: (state) => {
        this.connectionState = state;
        // "idle" from the stream: it stopped for good; connect() starts over.
        if (state === "idle") this.connecting = undefined;
      },
    });
    ({ logger: this.logger, endpoints: this.endpoints, keeper: this.keeper, bus: this.bus, rpc: this.rpc } = parts);
    ({ checkpoints: this.checkpoints, session: this.session, stream: this.stream } = parts);
  }

  /** Creates a client and connects it. */
  static async connect(options: LinkerClientOptions): Promise<LinkerClient> {
    const client = new LinkerClient(options);
    try {
      await client.connect();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The hub URL calls go to now. */
  get hubUrl(): string {
    return this.currentUrl();
  }

  /** True while this process serves the hub (autoHub). */
  get hosting(): boolean {
    return this.keeper?.hosting ?? false;
  }

  /** Seq of the last event handed to the application (the resume cursor). */
  get cursor(): bigint {
    return this.checkpoints.cursor;
  }

  /** The Register response of the current session, once connected. */
  get registered(): RegisterResponse | undefined {
    return this.session.registered;
  }

  /** The session token, once connected. */
  get sessionToken(): string | undefined {
    return this.session.token;
  }

  /** Where the session is kept, for messages to the user. */
  get sessionLocation(): string | undefined {
    return this.checkpoints.location;
  }

  /** Connection state. */
  get state(): ClientState {
    return this.connectionState;
  }

  /** Counters, including the last recovery (takeover) time. */
  get stats(): Readonly<ClientStats> {
    return { ...this.stream.stats, renewals: this.session.renewals };
  }

  /**
   * Registers (reclaiming the name with the stored token), opens the event
   * stream, and resolves once the stream has replayed what was missed and is
   * live. With autoHub it first finds the hub or starts one here. Calling it
   * again returns the same promise; after a failure it tries again. A client
   * whose sessionMode is not "register" never registers: its calls need no
   * connect.
   */
  connect(): Promise<RegisterResponse> {
    if (this.closing) return Promise.reject(this.closedError("connect"));
    if ((this.options.sessionMode ?? "register") !== "register") {
      return Promise.reject(new LinkerError(`this client does not register (sessionMode "${this.options.sessionMode}")`, Code.FailedPrecondition, { rpc: "connect" }));
    }
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      this.connectionState = "idle";
      throw toLinkerError(err, { rpc: "connect", hubUrl: this.currentUrl() });
    });
    return this.connecting;
  }

  /**
   * Listens to one kind of event; returns a function that stops listening.
   * Listeners run synchronously; an exception in one is logged and ignored.
   */
  on<K extends keyof LinkerEventMap>(type: K, listener: (event: LinkerEventMap[K]) => void): () => void {
    return this.bus.on(type, listener);
  }

  /** Stops a listener added with `on`. */
  off<K extends keyof LinkerEventMap>(type: K, listener: (event: LinkerEventMap[K]) => void): void {
    this.bus.off(type, listener);
  }

  /**
   * The next event of a kind (optionally the next one matching `test`);
   * rejects if the client closes first. Call it before the action that
   * causes the event.
   */
  once<K extends keyof LinkerEventMap>(type: K, test?: (event: LinkerEventMap[K]) => boolean): Promise<LinkerEventMap[K]> {
    return this.bus.once(type, test);
  }

  /**
   * Events as an async iterator (all kinds, or `types`). A reader that falls
   * behind by `capacity` data events holds the stream back; breaking out of
   * the loop stops the iterator. Connection-state events are never held back.
   */
  events<K extends keyof LinkerEventMap = keyof LinkerEventMap>(options: EventsOptions<K> = {}): AsyncIterableIterator<LinkerEventMap[K]> {
    return this.bus.events(options);
  }

  /**
   * Registers again under the same session with changed details; the name,
   * its inbox and its token stay. Waits for the first registration.
   */
  async updateRegistration(details: RegistrationDetails): Promise<RegisterResponse> {
    await this.ready();
    return this.session.update(details);
  }

  // Identity

  /** Keeps this instance online without an event stream; reports unread messages. */
  async heartbeat(): Promise<HeartbeatResponse> {
    await this.ready();
    return this.rpc.heartbeat({});
  }

  /** Sets this instance's status text ("" clears it). */
  async setStatus(status: string): Promise<Instance | undefined> {
    await this.ready();
    return (await this.rpc.setStatus({ status })).instance;
  }

  /** Registered instances with their presence. */
  async listInstances(request: MessageInitShape<typeof ListInstancesRequestSchema> = {}): Promise<Instance[]> {
    await this.ready();
    return (await this.rpc.listInstances(request)).instances;
  }

  /**
   * Ends the session and closes the client; with `forget` the hub also
   * deletes this instance and its messages and frees the name. The stored
   * session is deleted.
   */
  async unregister(options: { forget?: boolean } = {}): Promise<void> {
    await this.ready();
    await this.stream.stop();
    await this.session.end(options.forget ?? false);
    await this.close();
  }

  // Messaging

  /**
   * Sends a direct message; resolves once the hub stored it. An idempotency
   * key is added when none is given, so retries across a failover store it once.
   */
  async send(recipient: string, body: string, options: RequestFields<typeof SendRequestSchema, "recipient" | "body"> = {}): Promise<SendResponse> {
    await this.ready();
    return this.rpc.send({ ...options, recipient, body });
  }

  /** Sends a message to every other registered instance (or only online ones). */
  async broadcast(body: string, options: RequestFields<typeof BroadcastRequestSchema, "body"> = {}): Promise<BroadcastResponse> {
    await this.ready();
    return this.rpc.broadcast({ ...options, body });
  }

  /** Answers a message: a RESPONSE to its sender, in its thread, with reply_to set. */
  async reply(
    to: Pick<Message, "id" | "sender">,
    body: string,
    options: RequestFields<typeof SendRequestSchema, "recipient" | "body" | "replyTo"> = {},
  ): Promise<SendResponse> {
    await this.ready();
    return this.rpc.send({ kind: MessageKind.RESPONSE, ...options, recipient: to.sender, body, replyTo: to.id });
  }

  /**
   * Asks an online instance and waits for its reply (hub default wait unless
   * `timeoutMs`). Fails fast with NOT_FOUND/UNAVAILABLE when nobody can answer
   * and with DEADLINE_EXCEEDED when the wait runs out.
   */
  async ask(recipient: string, body: string, options: RequestFields<typeof AskRequestSchema, "recipient" | "body"> = {}): Promise<AskResponse> {
    await this.ready();
    return this.rpc.ask({ ...options, recipient, body });
  }

  /** Marks messages read (read receipts go to their senders). */
  async ack(messageIds: string | string[]): Promise<AckResponse> {
    await this.ready();
    return this.rpc.ack({ messageIds: typeof messageIds === "string" ? [messageIds] : messageIds });
  }

  /** Lists this instance's messages, oldest first; peeks unless `markRead`. */
  async listMessages(request: MessageInitShape<typeof ListMessagesRequestSchema> = {}): Promise<ListMessagesResponse> {
    await this.ready();
    return this.rpc.listMessages(request);
  }

  /** One page of a thread, or of the direct history with a peer, oldest first. */
  async conversation(
    selector: { threadId: string } | { peer: string },
    page: { pageSize?: number; pageToken?: string } = {},
  ): Promise<GetConversationResponse> {
    await this.ready();
    const which = "threadId" in selector ? { case: "threadId" as const, value: selector.threadId } : { case: "peer" as const, value: selector.peer };
    return this.rpc.getConversation({ selector: which, ...page });
  }

  // Memory

  /** Reads a shared memory key; undefined when it does not exist. */
  async getMemory(key: string): Promise<MemoryEntry | undefined> {
    await this.ready();
    try {
      return (await this.rpc.getMemory({ key })).entry;
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
  async putMemory(key: string, value: string, options: { expectedRevision?: bigint; ttlSeconds?: number } = {}): Promise<MemoryEntry> {
    await this.ready();
    const entry = (await this.rpc.putMemory({ key, value, ...options })).entry;
    if (!entry) throw this.missing("PutMemory", "entry");
    return entry;
  }

  /** Deletes a shared memory key (optionally only at a revision); returns the delete's revision. */
  async deleteMemory(key: string, options: { expectedRevision?: bigint } = {}): Promise<bigint> {
    await this.ready();
    return (await this.rpc.deleteMemory({ key, ...options })).revision;
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
  async claimTask(taskId: string): Promise<Task> {
    await this.ready();
    return this.task("ClaimTask", (await this.rpc.claimTask({ taskId })).task);
  }

  /** Reads a task. */
  async getTask(taskId: string): Promise<Task> {
    await this.ready();
    return this.task("GetTask", (await this.rpc.getTask({ taskId })).task);
  }

  /** One page of tasks, newest first. */
  async listTasks(request: MessageInitShape<typeof ListTasksRequestSchema> = {}): Promise<ListTasksResponse> {
    await this.ready();
    return this.rpc.listTasks(request);
  }

  /** Cancels a task this instance assigned. */
  async cancelTask(taskId: string, reason = ""): Promise<Task> {
    await this.ready();
    return this.task("CancelTask", (await this.rpc.cancelTask({ taskId, reason })).task);
  }

  /**
   * Writes the session token and cursor to the session store now (they are
   * otherwise written at most every 200 ms), so a crash after this point
   * does not replay what was delivered before it.
   */
  checkpoint(): Promise<void> {
    return this.checkpoints.save();
  }

  /**
   * Stops the stream, saves the cursor, closes connections and, if this
   * process serves the hub, stops it (the other clients take over).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.bus.stopWaiting();
      await this.stream.stop();
      this.connectionState = "closed";
      await this.checkpoints.flush();
      this.bus.close();
      this.endpoints.close();
      await this.keeper?.close();
    })();
    return this.closing;
  }

  private async open(): Promise<RegisterResponse> {
    this.connectionState = "connecting";
    if (this.keeper) {
      const outcome = await this.keeper.ensure();
      this.logger.info({ url: outcome.url, role: outcome.role }, outcome.role === "hub" ? "serving the hub in this process" : "using the running hub");
    }
    const registration = await this.session.open();
    this.stream.startHeartbeats();
    if (this.options.subscribe ?? true) await this.stream.start();
    else this.connectionState = "connected";
    return registration;
  }

  /** Waits until calls can be made: registered, or holding the stored token. */
  private async ready(): Promise<void> {
    if (this.closing) throw this.closedError("call");
    const mode = this.options.sessionMode ?? "register";
    if (mode === "stored") await this.session.useStored();
    else if (mode === "register" && !this.session.registered) await this.connect();
  }

  private currentUrl(): string {
    try {
      return this.endpoints.current().url;
    } catch {
      return this.endpoints.urls[0] ?? "";
    }
  }

  private task(rpc: string, task: Task | undefined): Task {
    if (!task) throw this.missing(rpc, "task");
    return task;
  }

  private missing(rpc: string, field: string): LinkerError {
    return new LinkerError(`the hub's answer has no ${field}`, Code.Internal, { rpc, hubUrl: this.currentUrl(), hint: "the hub may be of another version" });
  }

  private closedError(rpc: string): LinkerError {
    return new LinkerError("the client is closed", Code.Canceled, { rpc, hint: "create a new LinkerClient" });
  }
}

/** Creates a client (not yet connected); see `LinkerClient`. */
export function createLinkerClient(options: LinkerClientOptions): LinkerClient {
  return new LinkerClient(options);
}
