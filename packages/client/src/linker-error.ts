import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { type MemoryConflict, MemoryConflictSchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { isHubFailure, neverReachedHub } from "./hub-failure.js";

/** Where a failed call went. */
export interface LinkerErrorContext {
  /** RPC name as in the proto, for example "Send" (or "connect" for client set-up). */
  rpc: string;
  /** Hub URL the call went to, when one was chosen. */
  hubUrl?: string;
  /** Overrides the advice derived from the code. */
  hint?: string;
}

/**
 * A failed Linker call: the Connect code, the RPC, the hub URL it went to and
 * what to do about it. It is a ConnectError (its `name` stays "ConnectError"
 * so `instanceof ConnectError` and `ConnectError.from` accept it) and the
 * original error is its `cause`.
 */
export class LinkerError extends ConnectError {
  /** RPC name, for example "Send". */
  readonly rpc: string;
  /** Hub URL the call went to, if any. */
  readonly hubUrl: string | undefined;
  /** What the caller can do about it. */
  readonly hint: string;
  /** True when the hub could not be reached or the connection broke. */
  readonly hubFailure: boolean;
  /** What went wrong, without the RPC, URL and hint around it. */
  readonly reason: string;

  constructor(message: string, code: Code, context: LinkerErrorContext, cause?: unknown) {
    const hubFailure = isHubFailure(cause ?? new ConnectError(message, code));
    const hint = context.hint ?? hintFor(code, context.rpc, context.hubUrl, hubFailure && !neverReachedHub(cause), hubFailure);
    const where = context.hubUrl ? `${context.rpc} at ${context.hubUrl}` : context.rpc;
    const metadata = cause instanceof ConnectError ? cause.metadata : undefined;
    super(`${where} failed: ${message}${hint ? ` (${hint})` : ""}`, code, metadata, undefined, cause);
    if (cause instanceof ConnectError) this.details = cause.details;
    this.rpc = context.rpc;
    this.hubUrl = context.hubUrl;
    this.hint = hint;
    this.hubFailure = hubFailure;
    this.reason = message;
  }

  /** The code as Connect spells it, for example "unavailable". */
  get codeName(): string {
    return codeToString(this.code);
  }

  /** The hub's compare-and-set conflict detail (PutMemory/DeleteMemory), if present. */
  get memoryConflict(): MemoryConflict | undefined {
    return this.findDetails(MemoryConflictSchema)[0];
  }

  /** Plain data for logs and JSON output. */
  toJSON(): { code: string; rpc: string; hubUrl?: string; message: string; hint: string } {
    return { code: this.codeName, rpc: this.rpc, hubUrl: this.hubUrl, message: this.reason, hint: this.hint };
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this`, not LinkerError: a subclass's instanceof must not accept every LinkerError.
    return typeof value === "object" && value !== null && Object.prototype.isPrototypeOf.call(this.prototype, value);
  }
}

/** Wraps any failure of `context.rpc` as a LinkerError (a LinkerError is returned as is). */
export function toLinkerError(err: unknown, context: LinkerErrorContext): LinkerError {
  if (err instanceof LinkerError) return err;
  const connectError = ConnectError.from(err);
  return new LinkerError(connectError.rawMessage, connectError.code, context, err);
}

function hintFor(code: Code, rpc: string, hubUrl: string | undefined, broke: boolean, hubFailure: boolean): string {
  const at = hubUrl ?? "the hub";
  if (broke && rpc === "Subscribe") return `the event stream from ${at} broke; the client resumes it from its cursor by itself`;
  if (broke) {
    return `the connection to ${at} broke during the call (hub stopped or taken over), so it may or may not have taken effect: check, then retry`;
  }
  if (hubFailure) {
    return `no Linker hub answered at ${at}: start one with \`linker hub\`, pass more hub URLs, or enable autoHub`;
  }
  switch (code) {
    case Code.Unauthenticated:
      return rpc === "Register"
        ? "this hub requires its secret to register: set hubSecret (LINKER_HUB_SECRET)"
        : "the hub does not know this session: register again (the client does this itself unless the name is taken)";
    case Code.PermissionDenied:
      return rpc === "Register"
        ? "the name belongs to another session: choose another name, or reuse that name's session file"
        : "this session may not do that";
    case Code.InvalidArgument:
      return "fix the request; nothing was changed";
    case Code.NotFound:
      return "check the name or id";
    case Code.AlreadyExists:
      return "it exists already; read it instead of creating it";
    case Code.FailedPrecondition:
    case Code.Aborted:
      return "the state changed meanwhile: read it again and retry with its current revision";
    case Code.ResourceExhausted:
      return "a hub limit was hit: send less or slower, or let the recipient read its backlog";
    case Code.DeadlineExceeded:
      return rpc === "Ask"
        ? "nobody answered in time; the query stays stored and a late reply lands in your inbox"
        : "the call took too long; retry";
    case Code.Unavailable:
      return rpc === "Ask" ? "nobody can answer: the recipient is offline or unknown; Send instead to leave a message" : "retry shortly";
    case Code.Canceled:
      return "the call was canceled";
    default:
      return "";
  }
}
