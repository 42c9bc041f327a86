import { join, resolve } from "node:path";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { WorkspaceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
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
  type PublishResponse,
  LinkerService,
  type RegisterResponse,
  type SendRequestSchema,
  type SendResponse,
  type UpdateTaskRequestSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Task } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { DEFAULT_HUB_URL, newSessionToken } from "@linker/protocol";
import type { BackoffOptions } from "./backoff.js";
import { dataEventOf, DATA_EVENT_TYPES, type LinkerEvent, type LinkerEventMap } from "./client-events.js";
import { DedupeCache } from "./dedupe-cache.js";
import { EventQueue } from "./event-queue.js";
import { EventSubscription } from "./event-subscription.js";
import { createFailoverTransport, retryBudget } from "./failover-transport.js";
import { HubEndpoints } from "./hub-endpoints.js";
import { type AutoHubOptions, createHubKeeper, type HubKeeper } from "./hub-keeper.js";
import { createHubTransport, type HubTransport, type WireProtocol } from "./hub-transport.js";
import { LinkerError, toLinkerError } from "./linker-error.js";
import { sessionHubKey } from "./hub-key.js";
import { type Publication, publishAll } from "./publisher.js";
import { FileSessionStore, linkerHome, type SessionStore } from "./session-store.js";
import { type ClientLogger, SILENT_LOGGER } from "./client-logger.js";

/** Everything a LinkerClient can be told. */
export interface LinkerClientOptions {
  /** The instance name (its address, unique per hub). */
  name: string;
  /** What this instance works on. */
  description?: string;
  /** Skills offered to others. */
  capabilities?: string[];
  /** Labels used to select instances. */
  labels?: { [key: string]: string };
  /** Where the instance works. */
  workspace?: MessageInitShape<typeof WorkspaceSchema>;
  /** Kind of program, for example "claude-code" (Register's `client`). */
  clientKind?: string;
  /** Hub URLs in order of preference (default `$LINKER_HUB_URL`, comma-separated, or http://127.0.0.1:3847). */
  hubs?: string | string[];
  /** Wire protocol (default Connect over HTTP/2). */
  protocol?: WireProtocol;
  /** HTTP version for the Connect and gRPC-Web protocols (default "2" when the protocol is left to default, else "1.1"). */
  httpVersion?: "1.1" | "2";
  /** Secret a hub may require for Register (default `$LINKER_HUB_SECRET`). */
  hubSecret?: string;
  /** Keep the machine's hub alive: start it here when nobody serves the URL, take it over when it dies. */
  autoHub?: boolean | AutoHubOptions;
  /** Where the session token and cursor are kept; false keeps them in this process only. */
  sessions?: SessionStore | false;
  /** Which hub state sessions belong to (default: the autoHub data folder, else the first hub URL). */
  hubKey?: string;
  /** Open the event stream at connect (default true). */
  subscribe?: boolean;
  /** Only these kinds of stream events (default all). */
  eventTypes?: EventType[];
  /** Resume the stream after this seq instead of the stored cursor. */
  afterSeq?: bigint;
  /** Reconnect and retry schedule (default 100 ms doubling to 3 s, full jitter). */
  backoff?: BackoffOptions;
  /** How long an RPC keeps retrying across failovers and takeovers (default 20 s). */
  retryBudgetMs?: number;
  /** How long `connect()` keeps retrying when no hub answers (default 3 s; autoHub starts one instead). */
  connectRetryMs?: number;
  /** Message ids remembered to drop redeliveries (default 10 000). */
  dedupeCapacity?: number;
  /** Send Heartbeat this often (default 0: rely on the event stream for presence). */
  heartbeatIntervalMs?: number;
  /** Log lines (default none). */
  logger?: ClientLogger;
  /** Extra interceptors on every hub transport. */
  interceptors?: Interceptor[];
  /** Builds the transport to a hub URL instead of the built-in h2c/HTTP 1.1 one (tests, custom TLS). */
  transport?: (url: string) => Transport | HubTransport;
}

/** Fields of a request message except `K` (the ones a typed method takes as arguments). */
export type RequestFields<S extends DescMessage, K extends string = never> = Omit<MessageInitShape<S>, "$typeName" | K>;

/** Connection state of a client. */
export type ClientState = "idle" | "connecting" | "connected" | "live" | "reconnecting" | "closed";

/** Counters a client keeps (for status output and `npm run bench`). */
export interface ClientStats {
  /** Times the event stream broke. */
  disconnects: number;
  /** Times the stream was caught up again after a break. */
  recoveries: number;
  /** Duration of the last recovery (break to caught-up), in milliseconds. */
  lastRecoveryMs: number | undefined;
  /** Redelivered messages dropped by id. */
  duplicatesDropped: number;
  /** Automatic re-registrations after the hub forgot the session. */
  renewals: number;
}

/** Options of `events()`. */
export interface EventsOptions<K extends keyof LinkerEventMap> {
  /** Only these kinds (default all). */
  types?: K[];
  /** Data events waiting before the stream waits for the reader (default 1000). */
  capacity?: number;
}

/** Delay between cursor writes to the session store. */
const CURSOR_SAVE_DELAY_MS = 200;

type Listener<K extends keyof LinkerEventMap> = (event: LinkerEventMap[K]) => void;

/** The hub URLs a client uses when none are given. */
export function defaultHubUrls(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = (env.LINKER_HUB_URL ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  return list.length > 0 ? list : [DEFAULT_HUB_URL];
}

/**
 * The Linker client: registers (reclaiming its name with the stored session
 * token), keeps one resilient event stream, and offers every RPC as a typed
 * method. Calls fail over between hub URLs, or with autoHub keep the
 * machine's hub alive; the stream resumes from the last delivered seq after
 * any break, and redelivered messages are dropped by id, so each message
 * reaches the application once. Failures are LinkerErrors.
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
  private readonly sessions: SessionStore | undefined;
  private readonly hubKey: string;
  private readonly dedupe: DedupeCache;
  private readonly listeners = new Map<keyof LinkerEventMap, Set<Listener<keyof LinkerEventMap>>>();
  private readonly queues = new Set<{ queue: EventQueue<LinkerEvent>; types: ReadonlySet<string> | undefined }>();
  private token: string | undefined;
  private seq = 0n;
  private registration: RegisterResponse | undefined;
  private connecting: Promise<RegisterResponse> | undefined;
  private renewing: Promise<void> | undefined;
  private subscription: EventSubscription | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private connectionState: ClientState = "idle";
  private closing: Promise<void> | undefined;
  private readonly closed = new AbortController();
  private registering = false;
  private readonly counters: ClientStats = { disconnects: 0, recoveries: 0, lastRecoveryMs: undefined, duplicatesDropped: 0, renewals: 0 };

  constructor(options: LinkerClientOptions) {
    this.options = options;
    this.name = options.name;
    this.logger = options.logger ?? SILENT_LOGGER;
    const urls = (typeof options.hubs === "string" ? [options.hubs] : (options.hubs ?? defaultHubUrls())).map((url) => url.replace(/\/+$/, ""));
    const autoHub = options.autoHub === true ? {} : options.autoHub || undefined;
    const dataDir = autoHub && !autoHub.keeper ? resolve(autoHub.dataDir ?? linkerHome()) : undefined;
    this.keeper = autoHub ? lazyKeeper(urls[0], { ...autoHub, dataDir }, this.logger) : undefined;
    this.hubKey = options.hubKey ?? (dataDir ? `db:${dataDir}` : sessionHubKey(urls, linkerHome()));
    this.sessions = options.sessions === false ? undefined : (options.sessions ?? new FileSessionStore(join(dataDir ?? linkerHome(), "sessions")));
    this.dedupe = new DedupeCache(options.dedupeCapacity ?? 10_000);
    this.endpoints = new HubEndpoints({
      urls,
      keeper: this.keeper,
      connect: (url) => this.connectTo(url),
      onChange: (change) => {
        this.logger.info({ from: change.from, to: change.to, reason: change.reason }, "hub changed");
        this.emit(change);
      },
    });
    const hubSecret = options.hubSecret ?? process.env.LINKER_HUB_SECRET;
    this.rpc = createClient(
      LinkerService,
      createFailoverTransport({
        endpoints: this.endpoints,
        authorization: (rpc) => (rpc === LinkerService.method.register.name ? hubSecret || undefined : this.token),
        renewSession: (token) => this.renew(token),
        retryBudgetMs: options.retryBudgetMs,
        backoff: options.backoff,
      }),
    );
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
    return this.seq;
  }

  /** The Register response of the current session, once connected. */
  get registered(): RegisterResponse | undefined {
    return this.registration;
  }

  /** The session token, once connected. */
  get sessionToken(): string | undefined {
    return this.token;
  }

  /** Where the session is kept, for messages to the user. */
  get sessionLocation(): string | undefined {
    return this.sessions?.describe(this.hubKey, this.name);
  }

  /** Connection state. */
  get state(): ClientState {
    return this.connectionState;
  }

  /** Counters, including the last recovery (takeover) time. */
  get stats(): Readonly<ClientStats> {
    return { ...this.counters };
  }

  /**
   * Registers (reclaiming the name with the stored token), opens the event
   * stream, and resolves once the stream has replayed what was missed and is
   * live. With autoHub it first finds the hub or starts one here. Calling it
   * again returns the same promise; after a failure it tries again.
   */
  connect(): Promise<RegisterResponse> {
    if (this.closing) return Promise.reject(this.closedError("connect"));
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
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<keyof LinkerEventMap>);
    return () => this.off(type, listener);
  }

  /** Stops a listener added with `on`. */
  off<K extends keyof LinkerEventMap>(type: K, listener: (event: LinkerEventMap[K]) => void): void {
    this.listeners.get(type)?.delete(listener as Listener<keyof LinkerEventMap>);
  }

  /**
   * The next event of a kind (optionally the next one matching `test`);
   * rejects if the client closes first. Call it before the action that
   * causes the event.
   */
  once<K extends keyof LinkerEventMap>(type: K, test: (event: LinkerEventMap[K]) => boolean = () => true): Promise<LinkerEventMap[K]> {
    return new Promise((resolve, reject) => {
      const onClose = () => {
        stop();
        reject(this.closedError(`waiting for ${type}`));
      };
      const stop = this.on(type, (event) => {
        if (!test(event)) return;
        stop();
        this.closed.signal.removeEventListener("abort", onClose);
        resolve(event);
      });
      if (this.closed.signal.aborted) onClose();
      else this.closed.signal.addEventListener("abort", onClose, { once: true });
    });
  }

  /**
   * Events as an async iterator (all kinds, or `types`). A reader that falls
   * behind by `capacity` data events holds the stream back; breaking out of
   * the loop stops the iterator. Connection-state events are never held back.
   */
  events<K extends keyof LinkerEventMap = keyof LinkerEventMap>(options: EventsOptions<K> = {}): AsyncIterableIterator<LinkerEventMap[K]> {
    const entry = {
      queue: new EventQueue<LinkerEvent>(options.capacity ?? 1_000, () => this.queues.delete(entry)),
      types: options.types ? new Set<string>(options.types) : undefined,
    };
    this.queues.add(entry);
    if (this.connectionState === "closed") entry.queue.close();
    return entry.queue as unknown as AsyncIterableIterator<LinkerEventMap[K]>;
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
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.rpc.unregister({ forget: options.forget ?? false });
    this.token = undefined;
    this.clearCursorTimer();
    await this.saving;
    if (options.forget) await this.sessions?.delete(this.hubKey, this.name);
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

  /**
   * Stores many messages through one Publish stream (far cheaper for the hub
   * than a Send each); resumes after a break without storing any twice.
   * Resolves with one answer per publication, in order.
   */
  async sendMany(publications: readonly Publication[], progress: { onAnswer?: (answer: PublishResponse) => void } = {}): Promise<PublishResponse[]> {
    await this.ready();
    return publishAll(this.rpc, publications, {
      ...progress,
      retryBudgetMs: this.options.retryBudgetMs,
      backoff: this.options.backoff,
      recover: async () => {
        const { generation } = this.endpoints.current();
        await this.endpoints.failed(generation);
      },
    });
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
  async checkpoint(): Promise<void> {
    this.clearCursorTimer();
    await this.saveCursor();
  }

  /**
   * Stops the stream, saves the cursor, closes connections and, if this
   * process serves the hub, stops it (the other clients take over).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.abort();
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      await this.subscription?.stop();
      this.subscription = undefined;
      this.connectionState = "closed";
      await this.flushCursor();
      for (const { queue } of [...this.queues]) queue.close();
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
    // Without a stored session, a fresh token is proposed and stored before
    // Register is sent: the hub adopts it for a new name, so a Register whose
    // reply is lost (or whose process is killed) can be retried with it, and
    // the name is never left registered under a token nobody kept.
    const record =
      (await this.sessions?.load(this.hubKey, this.name)) ??
      (await this.sessions?.propose(this.hubKey, this.name, newSessionToken())) ??
      (this.token ? undefined : { hub: this.hubKey, name: this.name, token: newSessionToken() });
    const stored = record?.cursor !== undefined ? BigInt(record.cursor) : undefined;
    const registration = await this.register(false, record?.token ?? this.token, stored);
    if (this.options.heartbeatIntervalMs && this.options.heartbeatIntervalMs > 0) {
      this.heartbeatTimer = setInterval(() => {
        this.rpc.heartbeat({}).catch((err: unknown) => this.logger.warn({ err }, "heartbeat failed"));
      }, this.options.heartbeatIntervalMs);
      this.heartbeatTimer.unref();
    }
    if (this.options.subscribe ?? true) await this.startStream();
    else this.connectionState = "connected";
    return registration;
  }

  private startStream(): Promise<void> {
    const live = new Promise<void>((resolve, reject) => {
      const stopLive = this.on("caught-up", () => {
        stopLive();
        stopError();
        resolve();
      });
      const stopError = this.on("error", ({ error }) => {
        stopLive();
        stopError();
        reject(error);
      });
      this.closed.signal.addEventListener("abort", () => reject(this.closedError("connect")), { once: true });
    });
    this.subscription = new EventSubscription({
      endpoints: this.endpoints,
      types: this.options.eventTypes ?? [],
      backoff: this.options.backoff,
      cursor: () => this.seq,
      authorization: () => this.token,
      deliver: (event) => this.deliver(event),
      renew: (token) => this.renew(token),
      hosting: () => this.hosting,
      emit: (event) => {
        switch (event.type) {
          case "connected":
            this.connectionState = "connected";
            break;
          case "caught-up":
            this.connectionState = "live";
            break;
          case "disconnected":
            if (this.connectionState !== "reconnecting") this.counters.disconnects += 1;
            this.connectionState = "reconnecting";
            this.logger.warn({ url: event.url, err: event.error.toJSON(), retryInMs: event.retryInMs }, "event stream disconnected");
            break;
          case "recovered":
            this.counters.recoveries += 1;
            this.counters.lastRecoveryMs = event.durationMs;
            this.logger.info({ url: event.url, durationMs: event.durationMs, hubChanged: event.hubChanged }, "event stream recovered");
            break;
          case "error":
            this.connectionState = "idle";
            this.connecting = undefined;
            this.subscription = undefined;
            this.logger.error({ err: event.error.toJSON() }, "event stream stopped");
            break;
        }
        this.emit(event);
      },
    });
    this.subscription.start();
    return live;
  }

  /** Registers (or re-registers) and picks the stream cursor. */
  private async register(renewed: boolean, resumeToken: string | undefined, storedCursor: bigint | undefined): Promise<RegisterResponse> {
    const { options } = this;
    let response: RegisterResponse;
    this.registering = true;
    try {
      response = await this.rpc.register(
        {
        name: this.name,
        description: options.description ?? "",
        capabilities: options.capabilities ?? [],
        labels: options.labels ?? {},
        workspace: options.workspace,
        client: options.clientKind ?? "",
        resumeToken: resumeToken ?? "",
        },
        renewed || !this.registration ? { contextValues: retryBudget(renewed ? undefined : (options.connectRetryMs ?? 3_000)) } : {},
      );
    } catch (err) {
      this.registering = false;
      if (err instanceof ConnectError && err.code === Code.PermissionDenied && resumeToken) {
        throw new LinkerError(err.rawMessage, err.code, {
          rpc: "Register",
          hubUrl: this.currentUrl(),
          hint: `the hub no longer accepts the stored session of "${this.name}" (it was ended with Unregister); delete ${this.sessionLocation ?? "the stored session"} and use another name, or unregister the name with its current session`,
        }, err);
      }
      throw err;
    }
    this.token = response.sessionToken;
    this.registration = response;
    try {
      await this.pickCursor(response, renewed, storedCursor);
    } finally {
      this.registering = false;
    }
    if (renewed) this.counters.renewals += 1;
    await this.saveCursor();
    this.emit({
      type: "registered",
      name: this.name,
      url: this.currentUrl(),
      reclaimed: response.reclaimed,
      unreadCount: response.unreadCount,
      headSeq: response.headSeq,
      renewed,
    });
    return response;
  }

  /** Picks where the stream resumes after Register. */
  private async pickCursor(response: RegisterResponse, renewed: boolean, storedCursor: bigint | undefined): Promise<void> {
    const { options } = this;
    if (!response.reclaimed) {
      // A new name: nothing before this point was addressed to it.
      this.seq = response.headSeq;
    } else if (!renewed && options.afterSeq !== undefined) {
      this.seq = options.afterSeq;
    } else if (storedCursor !== undefined && storedCursor <= response.headSeq) {
      this.seq = storedCursor;
    } else if (!(renewed && this.seq <= response.headSeq)) {
      this.seq = this.oldestUnreadCursor(response);
    }
  }

  /** A cursor just before the oldest unread message (or the head when none is unread). */
  private oldestUnreadCursor(response: RegisterResponse): bigint {
    return response.oldestUnreadSeq > 0n ? response.oldestUnreadSeq - 1n : response.headSeq;
  }

  /** Re-registers once after the hub answered UNAUTHENTICATED to `token`. */
  private renew(token: string | undefined): Promise<void> {
    if (this.registering) return Promise.reject(new LinkerError("the hub rejected a session it just issued", Code.Unauthenticated, { rpc: "Register", hubUrl: this.currentUrl() }));
    if (!this.registration) return this.connect().then(() => undefined);
    if (token !== this.token) return Promise.resolve();
    this.renewing ??= this.register(true, this.token, undefined)
      .then(() => this.logger.info({ name: this.name }, "registered again: the hub did not know the session"))
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** Hands one stream event to the application once. */
  private async deliver(event: Event): Promise<void> {
    if (event.seq <= this.seq) return;
    const data = dataEventOf(event);
    if (data?.type === "message" && !this.dedupe.add(data.message.id)) {
      this.counters.duplicatesDropped += 1;
      this.advance(event.seq);
      return;
    }
    if (data) {
      this.emitToListeners(data);
      for (const { queue, types } of [...this.queues]) {
        if (!types || types.has(data.type)) await queue.push(data);
      }
    }
    this.advance(event.seq);
  }

  private emit(event: LinkerEvent): void {
    this.emitToListeners(event);
    if ((DATA_EVENT_TYPES as readonly string[]).includes(event.type)) return;
    for (const { queue, types } of this.queues) if (!types || types.has(event.type)) queue.pushNow(event);
  }

  private emitToListeners(event: LinkerEvent): void {
    const set = this.listeners.get(event.type);
    if (!set) {
      if (event.type === "error") this.logger.error({ err: event.error.toJSON() }, "unhandled client error");
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err, event: event.type }, "event listener threw");
      }
    }
  }

  private advance(seq: bigint): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    if (!this.sessions || this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      void this.saveCursor();
    }, CURSOR_SAVE_DELAY_MS);
    this.cursorTimer.unref();
  }

  private clearCursorTimer(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
  }

  private async flushCursor(): Promise<void> {
    if (this.cursorTimer) {
      this.clearCursorTimer();
      await this.saveCursor();
    }
    await this.saving;
  }

  /** Writes token and cursor; writes are serialized so the last one wins. */
  private saveCursor(): Promise<void> {
    const sessions = this.sessions;
    const token = this.token;
    if (!sessions || token === undefined) return this.saving;
    const record = { hub: this.hubKey, name: this.name, token, cursor: this.seq.toString() };
    this.saving = this.saving
      .then(() => sessions.save(record))
      .catch((err: unknown) => this.logger.warn({ err, path: sessions.describe(this.hubKey, this.name) }, "session not saved"));
    return this.saving;
  }

  private async ready(): Promise<void> {
    if (this.closing) throw this.closedError("call");
    if (!this.registration) await this.connect();
  }

  private connectTo(url: string): HubTransport {
    const custom = this.options.transport?.(url);
    if (custom) return "transport" in custom ? custom : { url, transport: custom, close() {} };
    return createHubTransport(url, { protocol: this.options.protocol, httpVersion: this.options.httpVersion, interceptors: this.options.interceptors });
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

/** A HubKeeper that loads the hub code on first use. */
function lazyKeeper(url: string, options: AutoHubOptions, logger: ClientLogger): HubKeeper {
  let keeper: HubKeeper | undefined;
  let loading: Promise<HubKeeper> | undefined;
  const load = () => (loading ??= createHubKeeper(url, options, logger).then((created) => (keeper = created)));
  return {
    url,
    get hosting() {
      return keeper?.hosting ?? false;
    },
    ensure: async () => (await load()).ensure(),
    recover: async () => (await load()).recover(),
    close: async () => {
      if (loading) await (await loading).close();
    },
  };
}

/** Creates a client (not yet connected); see `LinkerClient`. */
export function createLinkerClient(options: LinkerClientOptions): LinkerClient {
  return new LinkerClient(options);
}
