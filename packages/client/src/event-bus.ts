import { DATA_EVENT_TYPES, type DataEvent, type LinkerEvent, type LinkerEventMap } from "./client-events.js";
import type { ClientLogger } from "./client-logger.js";
import { EventQueue } from "./event-queue.js";

/** Options of `events()`. */
export interface EventsOptions<K extends keyof LinkerEventMap> {
  /** Only these kinds (default all). */
  types?: K[];
  /** Data events waiting before the stream waits for the reader (default 1000). */
  capacity?: number;
}

type Listener = (event: LinkerEvent) => void;

/**
 * Where a client's events go: listeners called synchronously, and bounded
 * queues read with `for await`. Data events wait for a full queue (the
 * stream slows down instead of memory growing); connection-state events never
 * wait. A listener that throws is logged and ignored.
 */
export class EventBus {
  private readonly listeners = new Map<keyof LinkerEventMap, Set<Listener>>();
  private readonly queues = new Set<{ queue: EventQueue<LinkerEvent>; types: ReadonlySet<string> | undefined }>();
  private readonly stopped = new AbortController();
  private closed = false;

  constructor(
    private readonly logger: ClientLogger,
    private readonly closedError: (waitingFor: string) => Error,
  ) {}

  /** Aborted once waiting for events is over (the client is closing). */
  get signal(): AbortSignal {
    return this.stopped.signal;
  }

  /** Listens to one kind of event; returns a function that stops listening. */
  on<K extends keyof LinkerEventMap>(type: K, listener: (event: LinkerEventMap[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener);
    return () => this.off(type, listener);
  }

  /** Stops a listener added with `on`. */
  off<K extends keyof LinkerEventMap>(type: K, listener: (event: LinkerEventMap[K]) => void): void {
    this.listeners.get(type)?.delete(listener as Listener);
  }

  /** The next event of a kind matching `test`; rejects once waiting is over. */
  once<K extends keyof LinkerEventMap>(type: K, test: (event: LinkerEventMap[K]) => boolean = () => true): Promise<LinkerEventMap[K]> {
    return new Promise((resolve, reject) => {
      const onStop = () => {
        stop();
        reject(this.closedError(`waiting for ${type}`));
      };
      const stop = this.on(type, (event) => {
        if (!test(event)) return;
        stop();
        this.stopped.signal.removeEventListener("abort", onStop);
        resolve(event);
      });
      if (this.stopped.signal.aborted) onStop();
      else this.stopped.signal.addEventListener("abort", onStop, { once: true });
    });
  }

  /** Events as an async iterator (all kinds, or `types`). */
  events<K extends keyof LinkerEventMap = keyof LinkerEventMap>(options: EventsOptions<K> = {}): AsyncIterableIterator<LinkerEventMap[K]> {
    const entry = {
      queue: new EventQueue<LinkerEvent>(options.capacity ?? 1_000, () => this.queues.delete(entry)),
      types: options.types ? new Set<string>(options.types) : undefined,
    };
    this.queues.add(entry);
    if (this.closed) entry.queue.close();
    return entry.queue as unknown as AsyncIterableIterator<LinkerEventMap[K]>;
  }

  /** Hands a data event to listeners and queues; resolves once every queue took it. */
  async publish(event: DataEvent): Promise<void> {
    this.notify(event);
    for (const { queue, types } of [...this.queues]) {
      if (!types || types.has(event.type)) await queue.push(event);
    }
  }

  /** Hands a connection-state event to listeners and queues at once. */
  emit(event: LinkerEvent): void {
    this.notify(event);
    if ((DATA_EVENT_TYPES as readonly string[]).includes(event.type)) return;
    for (const { queue, types } of this.queues) if (!types || types.has(event.type)) queue.pushNow(event);
  }

  /** Rejects every pending `once` (the client is closing). */
  stopWaiting(): void {
    this.stopped.abort();
  }

  /** Ends every queue: readers get what waits, then the end. */
  close(): void {
    this.stopWaiting();
    this.closed = true;
    for (const { queue } of [...this.queues]) queue.close();
  }

  private notify(event: LinkerEvent): void {
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
}
