import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { PresentedLedger } from "../hook/presented-ledger.js";
import { messageLine, summaryLine } from "./message-line.js";

/** How many lines may go out at once, and how fast the allowance comes back. */
export interface LineBudget {
  /** Lines that may be printed back to back. */
  burst: number;
  /** One more line is allowed every this many milliseconds. */
  refillMs: number;
}

/** Default: 10 lines at once, then one every 3 s; the rest are counted in one summary line. */
export const DEFAULT_LINE_BUDGET: LineBudget = { burst: 10, refillMs: 3_000 };

/**
 * Announces incoming messages, one line each, exactly once across every
 * path that presents messages to the session (each line is claimed in the
 * ledger first, and marked presented once written). A flood cannot drown
 * the session: past the line budget, messages are counted and announced in
 * one summary line when the budget allows again.
 */
export class Announcer {
  private tokens: number;
  private refilledAt = Date.now();
  private held: Message[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ledger: PresentedLedger,
    private readonly write: (line: string) => Promise<void>,
    private readonly budget: LineBudget = DEFAULT_LINE_BUDGET,
  ) {
    this.tokens = budget.burst;
  }

  /** Announces `message` unless another path presented it already; resolves once its line is written (or held for the summary). */
  async announce(message: Message): Promise<void> {
    if (!(await this.ledger.claim(message.id, "watch"))) return;
    this.refill();
    if (this.tokens >= 1 && this.held.length === 0) {
      this.tokens -= 1;
      await this.hand([message], messageLine(message));
      return;
    }
    this.held.push(message);
    this.schedule();
  }

  /** Stops the summary timer (held messages keep their claims under way, so another path takes them once this process is gone). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refill(): void {
    const now = Date.now();
    const earned = Math.floor((now - this.refilledAt) / this.budget.refillMs);
    if (earned > 0) {
      this.tokens = Math.min(this.budget.burst, this.tokens + earned);
      this.refilledAt += earned * this.budget.refillMs;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.refilledAt + this.budget.refillMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A line that cannot be written gives its claims back; the watch notices the closed output itself.
      this.flush().catch(() => undefined);
    }, wait);
  }

  private async flush(): Promise<void> {
    this.refill();
    if (this.held.length === 0) return;
    if (this.tokens < 1) {
      this.schedule();
      return;
    }
    this.tokens -= 1;
    const batch = this.held.splice(0);
    const line = batch.length === 1 ? messageLine(batch[0]) : summaryLine(batch.length, [...new Set(batch.map((m) => m.sender))]);
    await this.hand(batch, line);
  }

  private async hand(messages: Message[], line: string): Promise<void> {
    try {
      await this.write(line);
    } catch (err) {
      for (const message of messages) await this.ledger.release(message.id);
      throw err;
    }
    for (const message of messages) await this.ledger.presented(message.id);
  }
}
