import type { AuditEntry, AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";

/** Selects audit entries, oldest first. */
export interface AuditQuery {
  /** Only entries with an id greater than this. */
  afterId: bigint;
  /** Only these kinds (empty = all). */
  kinds: AuditKind[];
  /** At most this many. */
  limit: number;
}

/** The audit log of security events. */
export interface AuditRepository {
  /** Appends an entry (its id is assigned here, in commit order); returns the id. */
  append(entry: AuditEntry): Promise<bigint>;
  /** Entries matching `query`, oldest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than `before` (ms since the epoch); returns how many. */
  prune(before: number): Promise<number>;
}
