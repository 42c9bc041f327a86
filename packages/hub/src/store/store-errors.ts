import { UnavailableError } from "../errors.js";

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
