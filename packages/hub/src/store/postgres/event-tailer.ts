import type { ClientBase } from "pg";
import type { HubLogger } from "../../logger.js";
import type { CommitListener } from "../store.js";
import { COMMITTED_EVENT_COLUMNS, committedEventOf, type EventRow } from "./events.js";

/** Events read per query while catching up. */
const PAGE = 500;

/**
 * Feeds committed events, in sequence order and each once, to the store's
 * listeners by reading the event log after the last sequence number it
 * handed on: after this hub commits and whenever another hub announces a
 * commit. Because writers hold the write lock from their first sequence
 * number to their commit, nothing below a committed event can commit later,
 * so reading `seq > last` never skips one.
 */
export class EventTailer {
  private last: bigint;
  private running = false;
  private again = false;
  private readonly local = new Set<bigint>();

  constructor(
    private readonly reader: () => Promise<ClientBase>,
    private readonly listeners: readonly CommitListener[],
    private readonly logger: HubLogger | undefined,
    head: bigint,
  ) {
    this.last = head;
  }

  /** Sequence numbers this hub appended (their events are not marked remote). */
  appendedHere(seqs: readonly bigint[]): void {
    for (const seq of seqs) this.local.add(seq);
  }

  /** Something committed: read what is new (coalesced while a read runs). */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.catchUp();
  }

  private async catchUp(): Promise<void> {
    try {
      do {
        this.again = false;
        for (;;) {
          const client = await this.reader();
          const { rows } = await client.query<EventRow>(
            `SELECT ${COMMITTED_EVENT_COLUMNS} FROM events e LEFT JOIN messages m ON m.id = e.message_id WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
            [this.last, PAGE],
          );
          if (rows.length === 0) break;
          const events = rows.map((row) => {
            const committed = committedEventOf(row);
            const seq = committed.event.seq;
            if (!this.local.delete(seq)) committed.remote = true;
            return committed;
          });
          this.last = events[events.length - 1].event.seq;
          // Numbers taken by transactions that rolled back never show up: forget them once passed.
          for (const seq of this.local) if (seq <= this.last) this.local.delete(seq);
          for (const listener of this.listeners) listener(events);
          if (rows.length < PAGE) break;
        }
      } while (this.again);
    } catch (err) {
      this.logger?.warn({ err }, "could not read new events; retrying");
      this.again = false;
      setTimeout(() => this.poke(), 200).unref();
    } finally {
      this.running = false;
      if (this.again) this.poke();
    }
  }
}
