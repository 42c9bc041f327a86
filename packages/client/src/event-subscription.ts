import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import type { CaughtUpEvent, ConnectedEvent, DisconnectedEvent, ErrorEvent, RecoveredEvent } from "./client-events.js";
import type { HubEndpoints } from "./hub-endpoints.js";
import { type LinkerError, toLinkerError } from "./linker-error.js";

/** Connection-state events of the stream. */
export type StreamStateEvent = ConnectedEvent | CaughtUpEvent | DisconnectedEvent | RecoveredEvent | ErrorEvent;

/** What the stream needs from its client. */
export interface EventSubscriptionHost {
  /** The hubs. */
  readonly endpoints: HubEndpoints;
  /** Kinds of events wanted (empty = all). */
  readonly types: EventType[];
  /** Reconnect schedule. */
  readonly backoff?: BackoffOptions;
  /** Seq of the last event handed to the application: the resume cursor. */
  cursor(): bigint;
  /** The `Authorization` header value. */
  authorization(): string | undefined;
  /** Hands one event to the application (dedupe, cursor); resolves when it was taken. */
  deliver(event: Event): Promise<void>;
  /** Registers again after the hub forgot the session; rejects when that is impossible. */
  renew(token: string | undefined): Promise<void>;
  /** True when this process serves the hub now. */
  hosting(): boolean;
  /** Reports a state change. */
  emit(event: StreamStateEvent): void;
}

/** Re-registrations in a row (without reaching caught-up) before the stream gives up. */
const MAX_RENEWALS = 3;

/** Errors after which reconnecting cannot help. */
const FATAL = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.InvalidArgument, Code.Unimplemented, Code.FailedPrecondition]);

/**
 * The client's side of Subscribe: keeps one stream open, resumes it from the
 * last delivered seq after any disconnection (on the same hub, the next URL,
 * or a hub taken over on this machine), waits between attempts with
 * exponential backoff and full jitter, and reports connected, caught-up,
 * disconnected and recovered (with the time from the break to caught-up).
 */
export class EventSubscription {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly host: EventSubscriptionHost) {}

  /** Starts the stream loop (once). */
  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.fail(toLinkerError(err, { rpc: "Subscribe" }));
    });
  }

  /** Stops the stream and waits for the loop to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { host } = this;
    const signal = this.abort.signal;
    const backoff = new Backoff(host.backoff);
    let brokeAt: number | undefined;
    let hubChanged = false;
    let renewals = 0;
    while (!signal.aborted) {
      const endpoint = host.endpoints.current();
      const afterSeq = host.cursor();
      const token = host.authorization();
      const headers = new Headers();
      if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
      let replayed = 0;
      let live = false;
      try {
        const client = createClient(LinkerService, endpoint.transport);
        let first = true;
        for await (const response of client.subscribe({ afterSeq, types: host.types }, { signal, headers })) {
          if (first) {
            first = false;
            host.emit({ type: "connected", url: endpoint.url, afterSeq });
          }
          const item = response.item;
          if (item.case === "event") {
            if (!live) replayed += 1;
            await host.deliver(item.value);
          } else if (item.case === "caughtUp") {
            live = true;
            renewals = 0;
            backoff.reset();
            host.emit({ type: "caught-up", url: endpoint.url, seq: item.value.seq, replayed });
            if (brokeAt !== undefined) {
              host.emit({ type: "recovered", url: endpoint.url, durationMs: Date.now() - brokeAt, hubChanged, hosting: host.hosting() });
              brokeAt = undefined;
              hubChanged = false;
            }
          }
        }
        if (signal.aborted) return;
        throw new ConnectError("the hub ended the event stream", Code.Unavailable);
      } catch (err) {
        if (signal.aborted) return;
        brokeAt ??= Date.now();
        const error = toLinkerError(err, { rpc: "Subscribe", hubUrl: endpoint.url });
        if (error.code === Code.Unauthenticated && !error.hubFailure && renewals < MAX_RENEWALS) {
          renewals += 1;
          try {
            await host.renew(token);
            continue;
          } catch (renewError) {
            this.fail(toLinkerError(renewError, { rpc: "Register", hubUrl: endpoint.url }));
            return;
          }
        }
        if (FATAL.has(error.code) && !error.hubFailure) {
          this.fail(error);
          return;
        }
        const delay = await this.reconnectDelay(error, endpoint.generation, backoff, (changed) => (hubChanged ||= changed));
        if (signal.aborted) return;
        if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /**
   * Reports the break and picks the wait before the next attempt. When the hub
   * is gone the hub list fails over first (next URL, or takeover with
   * autoHub), and a new hub is tried at once.
   */
  private async reconnectDelay(error: LinkerError, generation: number, backoff: Backoff, changed: (value: boolean) => void): Promise<number> {
    const { host } = this;
    const delay = backoff.next();
    host.emit({ type: "disconnected", url: error.hubUrl ?? "", error, retryInMs: delay });
    if (!error.hubFailure && error.code !== Code.Unavailable) return delay;
    try {
      const outcome = await host.endpoints.failed(generation);
      changed(outcome.switched);
      return outcome.switched ? 0 : delay;
    } catch (err) {
      const failure = toLinkerError(err, { rpc: "Subscribe", hubUrl: error.hubUrl });
      host.emit({ type: "disconnected", url: error.hubUrl ?? "", error: failure, retryInMs: delay });
      return delay;
    }
  }

  private fail(error: LinkerError): void {
    this.host.emit({ type: "error", error });
  }
}
