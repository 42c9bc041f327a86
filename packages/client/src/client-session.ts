import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { LinkerService, RegisterRequestSchema, RegisterResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { newSessionToken } from "@linker/protocol";
import type { RegisteredEvent } from "./client-events.js";
import type { ClientLogger } from "./client-logger.js";
import type { CursorCheckpoint } from "./cursor-checkpoint.js";
import { retryBudget } from "./failover-transport.js";
import { LinkerError } from "./linker-error.js";
import type { SessionRecord, SessionStore } from "./session-store.js";

/** What an instance registers about itself: Register's fields except the name and the token. */
export type RegistrationDetails = Omit<MessageInitShape<typeof RegisterRequestSchema>, "$typeName" | "name" | "resumeToken">;

/**
 * How a client gets its session: "register" claims or reclaims the name
 * (the default); "stored" uses the token in the session store as it is and
 * never registers (commands that only read); "none" calls without a session
 * (only the RPCs a hub serves to anybody).
 */
export type SessionMode = "register" | "stored" | "none";

/** What a session needs from its client. */
export interface ClientSessionOptions {
  /** The instance name. */
  name: string;
  /** How the session is obtained. */
  mode: SessionMode;
  /** The generated client (through the failover transport). */
  rpc: Client<typeof LinkerService>;
  /** Where tokens are kept; undefined keeps them in this process. */
  store: SessionStore | undefined;
  /** Which hub state sessions belong to. */
  hubKey: string;
  /** What to register. */
  details: RegistrationDetails;
  /** The resume cursor and its checkpoints. */
  checkpoint: CursorCheckpoint;
  /** Resume after this seq instead of the stored cursor (first registration only). */
  afterSeq?: bigint;
  /** How long the first Register keeps retrying when no hub answers. */
  connectRetryMs: number;
  /** Connects the client (a renewal before the first registration does that instead). */
  connect(): Promise<unknown>;
  /** Reports a registration. */
  emit(event: RegisteredEvent): void;
  /** The hub URL in use, for errors. */
  hubUrl(): string;
  /** Log lines. */
  logger: ClientLogger;
}

/** No session of this name is stored, so a client that must not register has nothing to act with. */
export class NoStoredSessionError extends LinkerError {
  constructor(name: string, location: string | undefined) {
    super(`no session of "${name}" is stored${location ? ` (${location})` : ""}`, Code.NotFound, {
      rpc: "connect",
      hint: `"${name}" has not registered from here: nothing is waiting for it here; run its MCP server or a command that writes to register it`,
    });
  }
}

/**
 * The session of one instance: registration (with a token proposed and
 * stored before Register is sent, so a name is never left registered under a
 * token nobody kept), renewal when the hub forgot the session, updates of the
 * registered details under the same session, and its end.
 */
export class ClientSession {
  private current: string | undefined;
  private registration: RegisterResponse | undefined;
  private renewing: Promise<void> | undefined;
  private registering = false;
  private details: RegistrationDetails;
  /** Whether the stored session ("stored" mode) was ever accepted by a hub, or only proposed. */
  private storedAccepted = true;
  /** Automatic re-registrations after the hub forgot the session. */
  renewals = 0;

  constructor(private readonly options: ClientSessionOptions) {
    this.details = options.details;
  }

  /** The session token, once known. */
  get token(): string | undefined {
    return this.current;
  }

  /** The Register response of the current session. */
  get registered(): RegisterResponse | undefined {
    return this.registration;
  }

  /** True once calls can be made: registered, or holding the stored token, or needing none. */
  get ready(): boolean {
    return this.options.mode === "none" || this.current !== undefined;
  }

  /**
   * Registers: reclaims the name with the stored token, or proposes a fresh
   * one, stores it, and only then sends Register. Picks the stream cursor.
   */
  async open(): Promise<RegisterResponse> {
    const { store, hubKey, name } = this.options;
    const record: SessionRecord | undefined =
      (await store?.load(hubKey, name)) ??
      (await store?.propose(hubKey, name, newSessionToken())) ??
      (this.current ? undefined : { hub: hubKey, name, token: newSessionToken() });
    const stored = record?.cursor !== undefined ? BigInt(record.cursor) : undefined;
    return this.register("first", record?.token ?? this.current, stored, record?.cursor !== undefined);
  }

  /** Takes the stored token as the session, without registering ("stored" mode). */
  async useStored(): Promise<void> {
    if (this.current !== undefined) return;
    const { store, hubKey, name } = this.options;
    const record = await store?.load(hubKey, name);
    if (!record) throw new NoStoredSessionError(name, store?.describe(hubKey, name));
    this.current = record.token;
    // A record without a cursor holds a token that was proposed and never accepted.
    this.storedAccepted = record.cursor !== undefined;
  }

  /**
   * Registers again under the same session with changed details (what the
   * instance works on, its skills); never registers anew.
   */
  async update(details: RegistrationDetails): Promise<RegisterResponse> {
    if (this.options.mode !== "register" || this.current === undefined) {
      throw new LinkerError("this client has no registration to update", Code.FailedPrecondition, { rpc: "Register", hint: "connect first" });
    }
    this.details = { ...this.details, ...details };
    return this.register("update", this.current, undefined, true);
  }

  /** Re-registers once after the hub answered UNAUTHENTICATED to `token`. */
  renew(token: string | undefined): Promise<void> {
    const { mode, name, checkpoint } = this.options;
    if (mode !== "register") {
      return Promise.reject(
        new LinkerError(`the hub does not know the session of "${name}"`, Code.Unauthenticated, {
          rpc: "connect",
          hubUrl: this.options.hubUrl(),
          hint:
            mode !== "stored"
              ? "this call needs a session"
              : this.storedAccepted
                ? `the session stored${checkpoint.location ? ` at ${checkpoint.location}` : ""} has ended; a command that writes registers the name again`
                : `the token stored${checkpoint.location ? ` at ${checkpoint.location}` : ""} was proposed here but never accepted: "${name}" is registered by another session, so there is nothing of it to act on from here`,
        }),
      );
    }
    if (this.registering) return Promise.reject(new LinkerError("the hub rejected a session it just issued", Code.Unauthenticated, { rpc: "Register", hubUrl: this.options.hubUrl() }));
    if (!this.registration) return this.options.connect().then(() => undefined);
    if (token !== this.current) return Promise.resolve();
    this.renewing ??= this.register("renewal", this.current, undefined, true)
      .then(() => this.options.logger.info({ name }, "registered again: the hub did not know the session"))
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  /** Ends the session on the hub; with `forget` the name is freed and the stored session deleted. */
  async end(forget: boolean): Promise<void> {
    const { rpc, store, hubKey, name, checkpoint } = this.options;
    await rpc.unregister({ forget });
    this.current = undefined;
    await checkpoint.cancel();
    if (forget) await store?.delete(hubKey, name);
  }

  /** Registers (or re-registers) and picks the stream cursor. */
  private async register(kind: "first" | "renewal" | "update", resumeToken: string | undefined, storedCursor: bigint | undefined, accepted: boolean): Promise<RegisterResponse> {
    const { rpc, name, checkpoint } = this.options;
    const renewed = kind === "renewal";
    let response: RegisterResponse;
    this.registering = true;
    try {
      response = await rpc.register(
        { ...this.details, name, resumeToken: resumeToken ?? "" },
        kind !== "update" ? { contextValues: retryBudget(renewed ? undefined : this.options.connectRetryMs) } : {},
      );
    } catch (err) {
      this.registering = false;
      if (err instanceof ConnectError && err.code === Code.PermissionDenied) throw this.nameTaken(err, accepted);
      throw err;
    }
    this.current = response.sessionToken;
    this.registration = response;
    try {
      if (kind !== "update") this.pickCursor(response, renewed, storedCursor);
    } finally {
      this.registering = false;
    }
    if (renewed) this.renewals += 1;
    await checkpoint.save();
    this.options.emit({
      type: "registered",
      name,
      url: this.options.hubUrl(),
      reclaimed: response.reclaimed,
      unreadCount: response.unreadCount,
      headSeq: response.headSeq,
      renewed,
    });
    return response;
  }

  /** Picks where the stream resumes after Register. */
  private pickCursor(response: RegisterResponse, renewed: boolean, storedCursor: bigint | undefined): void {
    const { checkpoint, afterSeq } = this.options;
    if (!response.reclaimed) {
      // A new name: nothing before this point was addressed to it.
      checkpoint.reset(response.headSeq);
    } else if (!renewed && afterSeq !== undefined) {
      checkpoint.reset(afterSeq);
    } else if (storedCursor !== undefined && storedCursor <= response.headSeq) {
      checkpoint.reset(storedCursor);
    } else if (!(renewed && checkpoint.cursor <= response.headSeq)) {
      // Just before the oldest unread message, or the head when none is unread.
      checkpoint.reset(response.oldestUnreadSeq > 0n ? response.oldestUnreadSeq - 1n : response.headSeq);
    }
  }

  /** The truth about a refused Register: who holds the name, and how to get it back. */
  private nameTaken(err: ConnectError, accepted: boolean): LinkerError {
    const { name, checkpoint } = this.options;
    const where = checkpoint.location ? ` at ${checkpoint.location}` : "";
    const free = `free it from the session that holds it (\`linker unregister\` or the linker_unregister tool, run as that instance), or choose another name`;
    const hint = accepted
      ? `the hub once accepted the session of "${name}" stored${where}, but no longer for this name: the name was freed and registered again by another session, or the hub's data was replaced. ${free[0].toUpperCase()}${free.slice(1)}; once the name is free this client takes it again by itself`
      : `"${name}" is registered by another session (another LINKER_HOME, or one whose token was lost); the token this client proposed${where} was never accepted. ${free[0].toUpperCase()}${free.slice(1)}; once the name is free this client takes it by itself`;
    return new LinkerError(err.rawMessage, err.code, { rpc: "Register", hubUrl: this.options.hubUrl(), hint }, err);
  }
}
