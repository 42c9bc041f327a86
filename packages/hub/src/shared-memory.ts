import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type MemoryEntry, MemoryChangeKind, MemoryChangeSchema, MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import type { Caller } from "./caller.js";
import {
  type DeleteMemoryRequest,
  type GetMemoryRequest,
  type ListMemoryRequest,
  type PutMemoryRequest,
  PutMemoryRequestSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { carriedFields } from "./carried-fields.js";
import { InvalidArgumentError, LimitExceededError, NotFoundError, RevisionMismatchError } from "./errors.js";
import type { HubDeps } from "./hub-deps.js";
import { EVERYONE, type StoreTx } from "./store/store.js";

/** Page size of ListMemory when a request leaves it 0. */
const DEFAULT_PAGE = 100;

/**
 * Shared key/value memory with a revision per change. Revisions come from one
 * global counter, so they only increase and never repeat, even across deletes:
 * a compare-and-set against a stale revision always loses, never overwrites.
 */
export class SharedMemory {
  constructor(private readonly deps: HubDeps) {}

  /** Reads a key; NOT_FOUND when it is absent or expired. */
  async get(req: GetMemoryRequest): Promise<MemoryEntry> {
    const now = this.deps.clock.now();
    const entry = await this.deps.store.transaction((tx) => this.live(tx, req.key, now));
    if (!entry) throw new NotFoundError(`memory key "${req.key}" does not exist`);
    return entry;
  }

  /** Writes a key as the caller; `expected_revision` makes it compare-and-set (0 = create only). */
  async put(caller: Caller, req: PutMemoryRequest): Promise<MemoryEntry> {
    const { store, clock, config } = this.deps;
    const { key, value, expectedRevision, ttlSeconds } = req;
    const size = Buffer.byteLength(value);
    if (size > config.limits.maxMemoryValueBytes) {
      throw new LimitExceededError(`memory value is ${size} bytes, over the hub's limit of ${config.limits.maxMemoryValueBytes} bytes`);
    }
    const now = clock.now();
    return store.transaction(async (tx) => {
      const current = await this.live(tx, key, now);
      if (expectedRevision !== undefined) {
        const currentRevision = current?.revision ?? 0n;
        if (currentRevision !== expectedRevision) throw new RevisionMismatchError(key, expectedRevision, currentRevision);
      }
      const { keys, bytes } = await tx.memory.usage();
      if (!current && keys >= config.limits.maxMemoryKeys) {
        throw new LimitExceededError(`shared memory holds its limit of ${config.limits.maxMemoryKeys} keys; delete keys you no longer need, or ask the operator to raise --max-memory-keys`);
      }
      const growth = Buffer.byteLength(key) + size - (current ? Buffer.byteLength(current.key) + Buffer.byteLength(current.value) : 0);
      if (growth > 0 && bytes + growth > config.limits.maxMemoryBytes) {
        throw new LimitExceededError(
          `shared memory would hold more than its limit of ${config.limits.maxMemoryBytes} bytes; delete keys you no longer need, or ask the operator to raise --max-memory-bytes`,
        );
      }
      // The request's fields the entry also declares (key, value, …) are stored as given.
      const entry = create(MemoryEntrySchema, {
        ...carriedFields(PutMemoryRequestSchema, MemoryEntrySchema, req),
        revision: await tx.memory.nextRevision(),
        createdAt: current?.createdAt ?? timestampFromMs(now),
        updatedAt: timestampFromMs(now),
        expiresAt: ttlSeconds > 0 ? timestampFromMs(now + ttlSeconds * 1000) : undefined,
        updatedBy: caller.name,
      });
      await tx.memory.put(entry);
      await tx.events.append([
        { audience: EVERYONE, at: now, payload: { case: "memory", value: create(MemoryChangeSchema, { entry, kind: MemoryChangeKind.PUT }) } },
      ]);
      return entry;
    });
  }

  /** Deletes a key as the caller, optionally only at `expected_revision`; returns the delete's revision. */
  async delete(caller: Caller, req: DeleteMemoryRequest): Promise<bigint> {
    const { store, clock } = this.deps;
    const { key, expectedRevision } = req;
    const now = clock.now();
    return store.transaction(async (tx) => {
      const current = await this.live(tx, key, now);
      if (!current) throw new NotFoundError(`memory key "${key}" does not exist`);
      if (expectedRevision !== undefined && current.revision !== expectedRevision) {
        throw new RevisionMismatchError(key, expectedRevision, current.revision);
      }
      const revision = await tx.memory.nextRevision();
      await tx.memory.delete(key);
      const entry = create(MemoryEntrySchema, { key, revision, updatedAt: timestampFromMs(now), updatedBy: caller.name });
      await tx.events.append([
        { audience: EVERYONE, at: now, payload: { case: "memory", value: create(MemoryChangeSchema, { entry, kind: MemoryChangeKind.DELETED }) } },
      ]);
      return revision;
    });
  }

  /** Lists live keys under `prefix` after the page token, in key order. */
  async list(req: ListMemoryRequest): Promise<{ entries: MemoryEntry[]; nextPageToken: string }> {
    const { prefix, pageToken } = req;
    if (pageToken !== "" && !pageToken.startsWith(prefix)) {
      throw new InvalidArgumentError("page_token does not belong to this prefix; start again without it");
    }
    const pageSize = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
    const now = this.deps.clock.now();
    const rows = await this.deps.store.transaction((tx) => tx.memory.list({ prefix, afterKey: pageToken, limit: pageSize + 1 }));
    const page = rows.slice(0, pageSize);
    const entries = page.filter((entry) => !expired(entry, now));
    if (req.keysOnly) for (const entry of entries) entry.value = "";
    return { entries, nextPageToken: rows.length > pageSize ? page[page.length - 1].key : "" };
  }

  /** Deletes keys whose TTL ran out and announces each; returns how many. */
  async expire(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    return store.transaction(async (tx) => {
      const due = await tx.memory.expired(now, 500);
      for (const entry of due) await tx.memory.delete(entry.key);
      await tx.events.append(due.map((entry) => ({
          audience: EVERYONE,
          at: now,
          payload: { case: "memory" as const, value: create(MemoryChangeSchema, { entry, kind: MemoryChangeKind.EXPIRED }) },
        })),
      );
      return due.length;
    });
  }

  private async live(tx: StoreTx, key: string, now: number): Promise<MemoryEntry | undefined> {
    const entry = await tx.memory.get(key);
    return entry && !expired(entry, now) ? entry : undefined;
  }
}

function expired(entry: MemoryEntry, now: number): boolean {
  return entry.expiresAt !== undefined && timestampMs(entry.expiresAt) <= now;
}
