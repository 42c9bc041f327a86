import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";

/** Selects memory entries in key order. */
export interface MemoryQuery {
  /** Only keys that start with this. */
  prefix: string;
  /** Only keys that sort after this ("" = from the start). */
  afterKey: string;
  /** At most this many. */
  limit: number;
}

/** Shared memory entries and the global revision counter. */
export interface MemoryRepository {
  /** An entry (expired entries included; the caller checks expiry). */
  get(key: string): Promise<MemoryEntry | undefined>;
  /** Creates or replaces an entry. */
  put(entry: MemoryEntry): Promise<void>;
  /** Deletes an entry. */
  delete(key: string): Promise<void>;
  /** Entries matching `query`, in key order. */
  list(query: MemoryQuery): Promise<MemoryEntry[]>;
  /** Entries whose TTL ran out at `now`, oldest expiry first. */
  expired(now: number, limit: number): Promise<MemoryEntry[]>;
  /** How many keys are stored and how many bytes they and their values take. */
  usage(): Promise<{ keys: number; bytes: number }>;
  /** Takes the next revision (global, strictly increasing, never reused). */
  nextRevision(): Promise<bigint>;
}
