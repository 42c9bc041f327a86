import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type AuditEntry, AuditEntrySchema, AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { HubDeps } from "../hub-deps.js";
import type { StoreTx } from "../store/store.js";

/** Fields of an audit entry a caller gives (id and time are the log's). */
export type AuditFields = Partial<Pick<AuditEntry, "name" | "keyId" | "actor" | "peer" | "detail" | "method">> & { kind: AuditKind };

/** Refusals recorded per second at most; the rest are counted into the next entry. */
const REFUSALS_PER_SECOND = 10;
/** Refusals recorded in a burst. */
const REFUSAL_BURST = 50;
/** A key's use is recorded at most this often (per key and hub). */
const KEY_USE_INTERVAL_MS = 60_000;

/**
 * The audit log: security events as entries in the store (so every replica
 * sees one log) and as info lines in the hub's log. Changes record their
 * entry in their own transaction; refusals are recorded in a transaction of
 * their own, at a bounded rate, so a client that hammers the hub with bad
 * credentials cannot make it write without bound.
 */
export class AuditLog {
  private tokens = REFUSAL_BURST;
  private refilledAt = 0;
  private suppressed = 0;
  private readonly keyUses = new Map<string, number>();

  constructor(private readonly deps: HubDeps) {}

  /** Records an entry inside `tx` (it commits with the change it describes). */
  async inTransaction(tx: StoreTx, fields: AuditFields): Promise<void> {
    const entry = this.entry(fields);
    await tx.audit.append(entry);
    tx.afterCommit(() => this.log(entry));
  }

  /** Records a refused credential or call (rate-bounded); never throws. */
  refused(fields: AuditFields): void {
    const now = this.deps.clock.now();
    this.tokens = Math.min(REFUSAL_BURST, this.tokens + ((now - this.refilledAt) / 1000) * REFUSALS_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.suppressed += 1;
      return;
    }
    this.tokens -= 1;
    const dropped = this.suppressed;
    this.suppressed = 0;
    const detail = dropped > 0 ? `${fields.detail ?? ""} (and ${dropped} more refusals not recorded one by one)` : fields.detail;
    this.detached({ ...fields, detail });
  }

  /** Records that a key authenticated a call, at most once a minute per key; also sets its last use. */
  keyUsed(keyId: string, fields: Omit<AuditFields, "kind" | "keyId">): void {
    const now = this.deps.clock.now();
    const last = this.keyUses.get(keyId);
    if (last !== undefined && now - last < KEY_USE_INTERVAL_MS) return;
    this.keyUses.set(keyId, now);
    const entry = this.entry({ ...fields, keyId, kind: AuditKind.KEY_USED });
    this.deps.store
      .transaction(async (tx) => {
        await tx.audit.append(entry);
        const record = await tx.credentials.getKey(keyId);
        if (record) await tx.credentials.updateKey({ ...record.key, lastUsedAt: timestampFromMs(now) });
      })
      .then(
        () => this.log(entry),
        (err: unknown) => this.deps.logger.warn({ err }, "audit entry not stored"),
      );
  }

  private detached(fields: AuditFields): void {
    const entry = this.entry(fields);
    this.deps.store.transaction((tx) => tx.audit.append(entry)).then(
      () => this.log(entry),
      (err: unknown) => this.deps.logger.warn({ err, audit: AuditKind[entry.kind] }, "audit entry not stored"),
    );
  }

  private entry(fields: AuditFields): AuditEntry {
    return create(AuditEntrySchema, { ...fields, at: timestampFromMs(this.deps.clock.now()) });
  }

  private log(entry: AuditEntry): void {
    this.deps.logger.info(
      { audit: AuditKind[entry.kind]?.toLowerCase(), instance: entry.name || undefined, keyId: entry.keyId || undefined, actor: entry.actor || undefined, peer: entry.peer || undefined, method: entry.method || undefined, detail: entry.detail || undefined },
      "security event",
    );
  }
}
