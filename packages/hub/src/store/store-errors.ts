import { LimitExceededError, UnavailableError } from "../errors.js";

/** The database is held by another process longer than the busy timeout allows. */
export class StoreBusyError extends UnavailableError {
  constructor(cause: unknown) {
    super("the hub's database is locked by another process (is a second hub running on the same data folder?); retry in a moment", { cause });
  }
}

/** The database cannot be used as it is: too new a schema, or not a Linker database. */
export class SchemaError extends Error {}

/** The database server cannot be reached (or the connection to it broke). */
export class StoreUnreachableError extends UnavailableError {}

/** Seconds a client should wait before retrying a write the full disk refused. */
const FULL_RETRY_MS = 5_000;

/**
 * The disk under the database is full: this write is refused at once
 * (RESOURCE_EXHAUSTED); reads keep working, and writes succeed again as soon
 * as there is space, with no restart.
 */
export class StoreFullError extends LimitExceededError {
  constructor(cause: unknown) {
    super("the hub's disk is full, so nothing new can be stored; free space on the disk of its data folder (reads keep working, and writes resume by themselves)", FULL_RETRY_MS);
    this.cause = cause;
  }
}
