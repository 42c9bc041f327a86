import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { MemoryConflictSchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { RetryInfoSchema } from "@linker/protocol/gen/google/rpc/retry_info_pb.js";

/** Base class of the hub's domain errors; `toConnectError` maps each to one code. */
export class HubError extends Error {}

/** A name, message, key or task that does not exist. */
export class NotFoundError extends HubError {}

/** The caller presented no valid session. */
export class UnauthenticatedError extends HubError {}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends HubError {}

/** A request that is well-formed but wrong (validation beyond protovalidate). */
export class InvalidArgumentError extends HubError {}

/** Something already exists. */
export class AlreadyExistsError extends HubError {}

/** The state does not allow the change (illegal task transition, claimed task). */
export class FailedPreconditionError extends HubError {}

/** A compare-and-set lost: the key is not at the expected revision. */
export class RevisionMismatchError extends HubError {
  constructor(
    readonly key: string,
    readonly expectedRevision: bigint,
    readonly currentRevision: bigint,
  ) {
    super(
      currentRevision === 0n
        ? `memory key "${key}" does not exist (expected revision ${expectedRevision}); read it again or create it with expected_revision 0`
        : expectedRevision === 0n
          ? `memory key "${key}" already exists at revision ${currentRevision}; read it and retry with expected_revision ${currentRevision}`
          : `memory key "${key}" is at revision ${currentRevision}, not ${expectedRevision}; read it again and retry`,
    );
  }
}

/** A task is not at the revision the caller expected. */
export class TaskRevisionMismatchError extends HubError {}

/** A size, backlog or rate limit was hit; `retryAfterMs` says when a retry may succeed, when that is known. */
export class LimitExceededError extends HubError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Nobody can answer (offline target of Ask) or the hub is going away. */
export class UnavailableError extends HubError {}

/** Ends every stream when the hub shuts down. */
export class HubShuttingDownError extends UnavailableError {
  constructor() {
    super("the hub is shutting down");
  }
}

/** An Ask wait ran out. */
export class DeadlineExceededError extends HubError {}

/**
 * Errors the RPC framework raises as INTERNAL although the client caused
 * them: bytes that are not the message they claim (or nest too deep), broken
 * UTF-8, a compression it did not use or the hub does not speak.
 */
const CLIENT_FAULT = /^(parse binary|received compressed envelope|invalid envelope|protocol error|decompression failed|unknown compression|invalid UTF-8)/i;

/** Whether a framework error message names a client's mistake. */
export function isClientFaultMessage(message: string | null | undefined): boolean {
  if (!message) return false;
  let text = message;
  try {
    text = decodeURIComponent(message);
  } catch {
    // Not percent-encoded.
  }
  return CLIENT_FAULT.test(text);
}

/** Maps any error thrown inside the hub to the ConnectError the client sees. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) {
    if ((err.code === Code.Internal || err.code === Code.Unknown) && isClientFaultMessage(err.rawMessage)) {
      return new ConnectError(err.rawMessage, Code.InvalidArgument, err.metadata, undefined, err);
    }
    return err;
  }
  if (err instanceof RevisionMismatchError) {
    return new ConnectError(err.message, Code.FailedPrecondition, undefined, [
      {
        desc: MemoryConflictSchema,
        value: create(MemoryConflictSchema, {
          key: err.key,
          expectedRevision: err.expectedRevision,
          currentRevision: err.currentRevision,
        }),
      },
    ]);
  }
  if (err instanceof LimitExceededError && err.retryAfterMs !== undefined) {
    const seconds = Math.floor(err.retryAfterMs / 1000);
    return new ConnectError(err.message, Code.ResourceExhausted, { "retry-after": String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) }, [
      { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: { seconds: BigInt(seconds), nanos: (err.retryAfterMs % 1000) * 1_000_000 } }) },
    ]);
  }
  if (err instanceof HubError) return new ConnectError(err.message, codeOf(err));
  return ConnectError.from(err, Code.Internal);
}

function codeOf(err: HubError): Code {
  if (err instanceof NotFoundError) return Code.NotFound;
  if (err instanceof UnauthenticatedError) return Code.Unauthenticated;
  if (err instanceof PermissionDeniedError) return Code.PermissionDenied;
  if (err instanceof InvalidArgumentError) return Code.InvalidArgument;
  if (err instanceof AlreadyExistsError) return Code.AlreadyExists;
  if (err instanceof FailedPreconditionError) return Code.FailedPrecondition;
  if (err instanceof TaskRevisionMismatchError) return Code.Aborted;
  if (err instanceof LimitExceededError) return Code.ResourceExhausted;
  if (err instanceof UnavailableError) return Code.Unavailable;
  if (err instanceof DeadlineExceededError) return Code.DeadlineExceeded;
  return Code.Internal;
}
