import { type Client, Code } from "@connectrpc/connect";
import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { BackoffOptions } from "./backoff.js";
import { dataEventOf } from "./client-events.js";
import type { ClientLogger } from "./client-logger.js";
import type { CursorCheckpoint } from "./cursor-checkpoint.js";
import { DedupeCache } from "./dedupe-cache.js";
import type { EventBus } from "./event-bus.js";
import { EventSubscription, type StreamStateEvent } from "./event-subscription.js";
import type { HubEndpoints } from "./hub-endpoints.js";
import { LinkerError } from "./linker-error.js";

/** Connection state of a client. */
export type ClientState = "idle" | "connecting" | "connected" | "live" | "reconnecting" | "closed";

/** Counters of the event stream. */
export interface StreamStats {
  /** Times the event stream broke. */
  disconnects: number;
  /** Times the stream was caught up again after a break. */
  recoveries: number;
  /** Duration of the last recovery (break to caught-up), in milliseconds. */
  lastRecoveryMs: number | undefined;
  /** Redelivered messages dropped by id. */
  duplicatesDropped: number;
}

/** What the stream needs from its client. */
export interface ClientStreamOptions {
  /** The hubs. */
  endpoints: HubEndpoints;
  /** The generated client, for heartbeats. */
  rpc: Client<typeof LinkerService>;
  /** Kinds of events wanted (empty = all). */
  types: EventType[];
  /** Reconnect schedule. */
  backoff?: BackoffOptions;
  /** Send Heartbeat this often (0: the stream alone keeps the instance online). */
  heartbeatIntervalMs: number;
  /** Message ids remembered to drop redeliveries. */
  dedupeCapacity: number;
  /** The resume cursor. */
  checkpoint: CursorCheckpoint;
  /** Where events go. */
  bus: EventBus;
  /** The session token. */
  token(): string | undefined;
  /** Registers again after the hub forgot the session. */
  renew(token: string | undefined): Promise<void>;
  /** True while this process serves the hub. */
  hosting(): boolean;
  /** Told of every state change; "error" means the stream stopped for good. */
  onState(state: ClientState): void;
  /** Log lines. */
  logger: ClientLogger;
}

/**
 * The lifecycle of a client's event stream and heartbeats: starts the
 * resumable subscription, hands each event to the application once (dropping
 * redelivered messages by id, then moving the cursor), tracks the connection
 * state and counts breaks and recoveries.
 */
export class ClientStream {
  private subscription: EventSubscription | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly dedupe: DedupeCache;
  private readonly counters: StreamStats = { disconnects: 0, recoveries: 0, lastRecoveryMs: undefined, duplicatesDropped: 0 };
  private reconnecting = false;

  constructor(private readonly options: ClientStreamOptions) {
    this.dedupe = new DedupeCache(options.dedupeCapacity);
  }

  /** Counters so far. */
  get stats(): StreamStats {
    return { ...this.counters };
  }

  /** Sends heartbeats every `heartbeatIntervalMs`, if set. */
  startHeartbeats(): void {
    const { heartbeatIntervalMs, rpc, logger } = this.options;
    if (heartbeatIntervalMs <= 0 || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => {
      rpc.heartbeat({}).catch((err: unknown) => logger.warn({ err }, "heartbeat failed"));
    }, heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Opens the stream; resolves once it has replayed what was missed and is live. */
  start(): Promise<void> {
    const { bus } = this.options;
    const live = new Promise<void>((resolve, reject) => {
      const stopLive = bus.on("caught-up", () => {
        stopLive();
        stopError();
        resolve();
      });
      const stopError = bus.on("error", ({ error }) => {
        stopLive();
        stopError();
        reject(error);
      });
      bus.signal.addEventListener("abort", () => reject(new LinkerError("the client is closed", Code.Canceled, { rpc: "connect", hint: "create a new LinkerClient" })), { once: true });
    });
    const { endpoints, types, backoff, checkpoint, token, renew, hosting } = this.options;
    this.subscription = new EventSubscription({
      endpoints,
      types,
      backoff,
      cursor: () => checkpoint.cursor,
      authorization: token,
      deliver: (event) => this.deliver(event),
      renew,
      hosting,
      emit: (event) => this.report(event),
    });
    this.subscription.start();
    return live;
  }

  /** Stops the stream (and heartbeats) and waits for it to end. */
  async stop(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  /** Hands one stream event to the application once, then moves the cursor. */
  private async deliver(event: Event): Promise<void> {
    const { checkpoint, bus } = this.options;
    if (event.seq <= checkpoint.cursor) return;
    const data = dataEventOf(event);
    if (data?.type === "message" && !this.dedupe.add(data.message.id)) {
      this.counters.duplicatesDropped += 1;
    } else if (data) {
      await bus.publish(data);
    }
    checkpoint.advance(event.seq);
  }

  private report(event: StreamStateEvent): void {
    const { logger, onState, bus } = this.options;
    switch (event.type) {
      case "connected":
        this.reconnecting = false;
        onState("connected");
        break;
      case "caught-up":
        this.reconnecting = false;
        onState("live");
        break;
      case "disconnected":
        if (!this.reconnecting) this.counters.disconnects += 1;
        this.reconnecting = true;
        onState("reconnecting");
        logger.warn({ url: event.url, err: event.error.toJSON(), retryInMs: event.retryInMs }, "event stream disconnected");
        break;
      case "recovered":
        this.counters.recoveries += 1;
        this.counters.lastRecoveryMs = event.durationMs;
        logger.info({ url: event.url, durationMs: event.durationMs, hubChanged: event.hubChanged }, "event stream recovered");
        break;
      case "error":
        this.reconnecting = false;
        this.subscription = undefined;
        onState("idle");
        logger.error({ err: event.error.toJSON() }, "event stream stopped");
        break;
    }
    bus.emit(event);
  }
}
