import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import type { LinkerService, PublishResponse, RegisterResponse, UnregisterRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
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
import { LinkerCalls } from "./linker-calls.js";
import { LinkerError, toLinkerError } from "./linker-error.js";
import { type Publication, publishAll } from "./publisher.js";

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
export class LinkerClient extends LinkerCalls {
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
    super();
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

  /**
   * Ends the session and closes the client; with `forget` the hub also
   * deletes this instance and its messages and frees the name, and the
   * stored session is deleted.
   */
  async unregister(request: MessageInitShape<typeof UnregisterRequestSchema> = {}): Promise<void> {
    await this.ready();
    await this.stream.stop();
    await this.session.end(request.forget ?? false);
    await this.close();
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
  protected async ready(): Promise<void> {
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

  private closedError(rpc: string): LinkerError {
    return new LinkerError("the client is closed", Code.Canceled, { rpc, hint: "create a new LinkerClient" });
  }
}

/** Creates a client (not yet connected); see `LinkerClient`. */
export function createLinkerClient(options: LinkerClientOptions): LinkerClient {
  return new LinkerClient(options);
}
