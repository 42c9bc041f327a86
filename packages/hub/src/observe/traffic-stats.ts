import { timestampMs } from "@bufbuild/protobuf/wkt";
import { MessageKind, Priority, ReceiptKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type CommittedEvent, EVERYONE } from "../store/store.js";
import { FixedHistogram, type HistogramSeries } from "./fixed-histogram.js";

/** Direct messages remembered between being stored and their first receipt. */
const PENDING_LIMIT = 10_000;
/** Recent deliveries the latency summary covers. */
const LATENCY_WINDOW = 1024;
/** Bucket bounds of the delivery latency histogram, in seconds. */
const LATENCY_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

/** Number of values of a generated enum (its largest value plus one). */
function enumSize(values: object): number {
  return Math.max(...Object.values(values).filter((v): v is number => typeof v === "number")) + 1;
}

/** How Ask calls ended. */
export type AskOutcome = "answered" | "timed_out" | "no_responders" | "failed";

/**
 * Message traffic since the hub started, read from committed events as the
 * fanout publishes them: messages stored (a broadcast once), delivered and
 * read, store-to-delivery latency of direct messages, and Ask outcomes. It
 * costs a few additions per event and keeps bounded state.
 */
export class TrafficStats {
  /** Number of priorities (Priority values). */
  readonly priorities = enumSize(Priority);
  /** Messages stored, by kind and priority (index = kind * priorities + priority). */
  readonly storedBy = new Float64Array(enumSize(MessageKind) * this.priorities);
  /** Registrations of new names and reclaims of registered ones (every client reclaims after a takeover). */
  readonly registrations = { new: 0, reclaimed: 0 };
  /** Direct messages delivered. */
  delivered = 0;
  /** Messages read, per recipient. */
  read = 0;
  /** Ask calls by outcome. */
  readonly asks: Record<AskOutcome, number> = { answered: 0, timed_out: 0, no_responders: 0, failed: 0 };
  /** Store-to-delivery time of direct messages, in seconds. */
  readonly latency = new FixedHistogram(
    "linker_message_delivery_seconds",
    "Time from storing a direct message to its delivery (stream, listing or read).",
    LATENCY_BOUNDS,
  );
  private readonly latencySeries: HistogramSeries = this.latency.open({});
  private readonly recent = new Float64Array(LATENCY_WINDOW);
  private recentCount = 0;
  private readonly pending = new Map<string, number>();
  /** The ids in `pending`, oldest first, as a ring: the next slot holds the id to forget when it is full. */
  private readonly pendingOrder: (string | undefined)[] = new Array<string | undefined>(PENDING_LIMIT);
  private pendingNext = 0;

  /** Counts one batch of committed events (a store commit listener). */
  observe(events: readonly CommittedEvent[]): void {
    for (const { event } of events) {
      const payload = event.payload;
      if (payload.case === "message") {
        const message = payload.value;
        const slot = message.kind * this.priorities + message.priority;
        if (message.priority < this.priorities && slot < this.storedBy.length) this.storedBy[slot] += 1;
        if (message.recipient !== EVERYONE && message.sentAt) {
          // Forgetting the oldest by its ring slot stays O(1): walking a Map from its front past deleted entries does not.
          const oldest = this.pendingOrder[this.pendingNext];
          if (oldest !== undefined) this.pending.delete(oldest);
          this.pendingOrder[this.pendingNext] = message.id;
          this.pendingNext = (this.pendingNext + 1) % PENDING_LIMIT;
          this.pending.set(message.id, timestampMs(message.sentAt));
        }
      } else if (payload.case === "receipt") {
        const receipt = payload.value;
        if (receipt.kind === ReceiptKind.READ) this.read += 1;
        const sentAt = this.pending.get(receipt.messageId);
        if (sentAt === undefined) continue;
        // The first receipt of a direct message is its delivery: listing with
        // mark_read sends only a read receipt.
        this.pending.delete(receipt.messageId);
        this.delivered += 1;
        if (receipt.at) this.deliveredAfter(Math.max(0, timestampMs(receipt.at) - sentAt));
      }
    }
  }

  /** Records how an Ask call ended. */
  askEnded(outcome: AskOutcome): void {
    this.asks[outcome] += 1;
  }

  /** Messages stored since start. */
  stored(): number {
    let total = 0;
    for (const n of this.storedBy) total += n;
    return total;
  }

  /** Messages stored since start with this priority. */
  storedWithPriority(priority: Priority): number {
    let total = 0;
    for (let i = priority; i < this.storedBy.length; i += this.priorities) total += this.storedBy[i];
    return total;
  }

  /** Messages stored since start of this kind. */
  storedOfKind(kind: MessageKind): number {
    let total = 0;
    for (let i = 0; i < this.priorities; i++) total += this.storedBy[kind * this.priorities + i] ?? 0;
    return total;
  }

  /** Summary of the most recent delivery latencies, in milliseconds. */
  latencySummary(): { samples: number; meanMs: number; p50Ms: number; p95Ms: number; maxMs: number } {
    const n = Math.min(this.recentCount, LATENCY_WINDOW);
    if (n === 0) return { samples: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
    const sorted = Array.from(this.recent.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { samples: n, meanMs: sorted.reduce((a, b) => a + b, 0) / n, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[n - 1] };
  }

  private deliveredAfter(ms: number): void {
    this.latency.observe(this.latencySeries, ms / 1000);
    this.recent[this.recentCount % LATENCY_WINDOW] = ms;
    this.recentCount += 1;
  }
}
