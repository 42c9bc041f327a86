import { create, equals } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PresenceChangeKind, PresenceChangeSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Instance, InstanceSchema, Presence as PresenceState } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type {
  HeartbeatResponse,
  ListInstancesRequest,
  RegisterRequest,
  RegisterResponse,
  SetStatusRequest,
  UnregisterRequest,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { type AuditLog } from "./access/audit-log.js";
import { actorOf, type Credential, keyBinds } from "./access/credential.js";
import type { KeyRing } from "./access/key-ring.js";
import type { Caller } from "./caller.js";
import { LimitExceededError, NotFoundError, PermissionDeniedError, UnavailableError } from "./errors.js";
import { pageTokenAfterName, nameAfterToken } from "./page-token.js";
import type { HubDeps } from "./hub-deps.js";
import { isWellFormedSessionToken, newSessionToken } from "@linker/protocol";
import { hashToken } from "./sessions.js";
import { type CommittedEvent, EVERYONE, type SessionRecord, type StoreTx } from "./store/store.js";

/**
 * Audience of hub-internal events that no subscriber sees: "the sessions of
 * this instance ended" (a revoked key), so every hub drops what it cached.
 */
export const SESSIONS_ENDED = "!sessions-ended";

/** Page size of ListInstances when a request leaves it 0 (also its maximum). */
const INSTANCE_PAGE = 1000;

/** What authorizes a Register: the caller's credential and where it came from. */
export interface RegisterGrant {
  /** The credential presented (the auth interceptor checked the hub's mode already). */
  credential: Credential;
  /** The caller's network address, for the audit log. */
  peer: string;
}

/** Sessions remembered in memory (each entry is a token and a name). */
const SESSION_CACHE_SIZE = 10_000;

/** Identity and presence: who is registered, their sessions, and who is online. */
export class Registry {
  /** Recent session tokens and their sessions, so a call does not hash its token and read the store. */
  private readonly sessionCache = new Map<string, SessionRecord>();

  constructor(
    private readonly deps: HubDeps,
    private readonly keys: KeyRing,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Registers a name, or reclaims it with a token issued for it before. A
   * name bound to an agent key is reserved for that key: only it registers
   * or reclaims the name (no resume token needed), and no other credential,
   * the hub secret included, can take it over.
   */
  async register(req: RegisterRequest, grant: RegisterGrant = { credential: { kind: "anonymous" }, peer: "" }): Promise<Omit<RegisterResponse, "$typeName">> {
    const { store, clock, config } = this.deps;
    const now = clock.now();
    const { credential } = grant;
    const key = credential.kind === "key" ? credential.key : undefined;
    const keyId = key?.id ?? "";
    const denied = async (tx: StoreTx, detail: string) => {
      this.audit.refused({ kind: AuditKind.PERMISSION_DENIED, name: req.name, keyId, actor: actorOf(credential), peer: grant.peer, method: "Register", detail });
      return new PermissionDeniedError(detail);
    };
    const result = await store.transaction(async (tx) => {
      if (key && !keyBinds(key, req.name)) {
        throw await denied(tx, `the key "${key.label}" does not bind the name "${req.name}" (it binds ${key.names.map((n) => `"${n}"`).join(", ") || "no names"}); register one of those or ask an admin for a key`);
      }
      if (!key) {
        const reserved = await this.keys.reservedFor(tx, req.name);
        if (reserved) throw await denied(tx, `the name "${req.name}" is reserved for the agent key "${reserved.label}"; present that key to register it`);
      }
      const existing = await tx.identity.getInstance(req.name);
      let token: string;
      if (!existing) {
        const holder = await tx.identity.nameTaken(req.name);
        if (holder !== undefined) {
          throw new PermissionDeniedError(`the name "${req.name}" is taken: "${holder}" is registered, and names are unique regardless of case; register another name`);
        }
        if ((await tx.identity.countInstances()) >= config.limits.maxInstances) {
          throw new LimitExceededError(
            `the hub holds its limit of ${config.limits.maxInstances} instances; an admin can release unused names (linker release NAME), or the operator can raise --max-instances`,
          );
        }
      }
      if (existing) {
        const owner = await tx.identity.instanceKey(req.name);
        const session = req.resumeToken === "" ? undefined : await tx.identity.getSession(hashToken(req.resumeToken));
        if (key) {
          // The key is the agent's identity: it reclaims its own name, with or without a token.
          token = session?.name === req.name && session.keyId === keyId ? req.resumeToken : newSessionToken();
          if (token !== req.resumeToken) await tx.identity.putSession(hashToken(token), req.name, now, keyId);
          if (owner !== keyId) await tx.identity.setInstanceKey(req.name, keyId);
        } else {
          if (owner !== "") {
            throw await denied(tx, `the name "${req.name}" is registered under an agent key; only that key can reclaim it`);
          }
          if (req.resumeToken === "") {
            throw new PermissionDeniedError(
              `the name "${req.name}" is already registered; pass its session token as resume_token to reclaim it, or register another name`,
            );
          }
          if (session?.name !== req.name) {
            throw new PermissionDeniedError(`resume_token is not a session of "${req.name}"; register another name or use that name's token`);
          }
          token = req.resumeToken;
        }
      } else {
        token = isWellFormedSessionToken(req.resumeToken) && !(await tx.identity.getSession(hashToken(req.resumeToken))) ? req.resumeToken : newSessionToken();
        await tx.identity.putSession(hashToken(token), req.name, now, keyId);
      }
      // Reclaiming keeps what the request leaves empty, so a short-lived
      // client acting under a name does not erase what its owner registered.
      const instance = create(InstanceSchema, {
        name: req.name,
        description: req.description !== "" ? req.description : (existing?.description ?? ""),
        capabilities: req.capabilities.length > 0 ? req.capabilities : (existing?.capabilities ?? []),
        labels: Object.keys(req.labels).length > 0 ? req.labels : (existing?.labels ?? {}),
        workspace: req.workspace ?? existing?.workspace,
        client: req.client !== "" ? req.client : (existing?.client ?? ""),
        status: existing?.status ?? "",
        registeredAt: existing?.registeredAt ?? timestampFromMs(now),
        lastSeenAt: timestampFromMs(now),
      });
      const changed = !existing || !equals(InstanceSchema, { ...existing, lastSeenAt: undefined }, { ...instance, lastSeenAt: undefined });
      await tx.identity.putInstance(instance);
      if (!existing && keyId !== "") await tx.identity.setInstanceKey(req.name, keyId);
      if (changed) await this.announce(tx, instance, PresenceChangeKind.UPDATED, now);
      await this.audit.inTransaction(tx, {
        kind: existing ? AuditKind.RECLAIMED : AuditKind.REGISTERED,
        name: req.name,
        keyId,
        actor: actorOf(credential),
        peer: grant.peer,
        method: "Register",
      });
      return {
        instance,
        token,
        reclaimed: existing !== undefined,
        unreadCount: await tx.messages.countUnread(req.name, now),
        headSeq: await tx.events.head(),
        oldestUnreadSeq: (await tx.messages.listInbox({ recipient: req.name, unreadOnly: true, sender: "", afterSeq: 0n, limit: 1, now }))[0]?.seq ?? 0n,
      };
    });
    this.remember(result.token, { name: req.name, keyId });
    return {
      instance: this.withPresence(result.instance),
      sessionToken: result.token,
      reclaimed: result.reclaimed,
      unreadCount: result.unreadCount,
      headSeq: result.headSeq,
      oldestUnreadSeq: result.oldestUnreadSeq,
    };
  }

  /** The session a token belongs to, if it is valid. */
  async resolveSession(token: string): Promise<SessionRecord | undefined> {
    const cached = this.sessionCache.get(token);
    if (cached !== undefined) return cached;
    const session = await this.deps.store.readSession(hashToken(token));
    if (session !== undefined) this.remember(token, session);
    return session;
  }

  /**
   * Frees any registered name (an admin's release): deletes the instance, its
   * inbox and sessions, announces REMOVED and closes its streams on every hub.
   */
  async release(name: string, credential: Credential, peer: string): Promise<{ name: string; sessionsEnded: number }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const result = await store.transaction(async (tx) => {
      const registered = (await tx.identity.getInstance(name)) ? name : await tx.identity.nameTaken(name);
      const instance = registered === undefined ? undefined : await tx.identity.getInstance(registered);
      if (!instance) throw new NotFoundError(`no instance named "${name}" is registered; see ListInstances`);
      const sessionsEnded = await tx.identity.deleteInstance(instance.name);
      await tx.presence.deleteLeasesOf(instance.name);
      await tx.events.deleteAudience(instance.name);
      await this.announce(tx, instance, PresenceChangeKind.REMOVED, now, false);
      await this.audit.inTransaction(tx, {
        kind: AuditKind.NAME_RELEASED,
        name: instance.name,
        actor: actorOf(credential),
        keyId: credential.kind === "key" ? credential.key.id : "",
        peer,
        method: "ReleaseName",
        detail: `${sessionsEnded} sessions ended`,
      });
      return { name: instance.name, sessionsEnded };
    });
    this.forgetSessionsOf(result.name);
    this.deps.fanout.closeFor(result.name, new UnavailableError(`the name "${result.name}" was released by an admin; register again`));
    this.deps.presence.leave(result.name);
    return result;
  }

  /**
   * Ends every session opened with `keyId` inside `tx` (a revocation) and
   * tells every hub, through an internal event, to drop them and close the
   * streams of their names. Returns how many sessions ended.
   */
  async endSessionsOfKey(tx: StoreTx, keyId: string, now: number): Promise<number> {
    const names = await tx.identity.deleteSessionsOfKey(keyId);
    const distinct = [...new Set(names)];
    await tx.events.append(
      distinct.map((name) => ({
        audience: SESSIONS_ENDED,
        at: now,
        payload: { case: "presence" as const, value: create(PresenceChangeSchema, { instance: { name }, kind: PresenceChangeKind.UPDATED }) },
      })),
    );
    return names.length;
  }

  /** Caches a valid session, dropping the oldest entries beyond SESSION_CACHE_SIZE. */
  private remember(token: string, session: SessionRecord): void {
    if (!this.deps.store.sessionsCacheable) return;
    this.sessionCache.delete(token);
    this.sessionCache.set(token, session);
    if (this.sessionCache.size > SESSION_CACHE_SIZE) this.sessionCache.delete(this.sessionCache.keys().next().value!);
  }

  /**
   * Takes `name` offline now and closes its streams. With `forget`, also
   * deletes the instance, its inbox and all its sessions, freeing the name;
   * without, the session stays valid so the name can be reclaimed.
   */
  async unregister(caller: Caller, req: UnregisterRequest): Promise<void> {
    const { store, clock, fanout, presence } = this.deps;
    const { name } = caller;
    const now = clock.now();
    if (req.forget) {
      await store.transaction(async (tx) => {
        const instance = await tx.identity.getInstance(name);
        if (!instance) return;
        await tx.identity.deleteInstance(name);
        await tx.presence.deleteLeasesOf(name);
        await tx.events.deleteAudience(name);
        await this.announce(tx, instance, PresenceChangeKind.REMOVED, now, false);
      });
      this.forgetSessionsOf(name);
    }
    fanout.closeFor(name, new UnavailableError(`"${name}" unregistered; subscribe again to come back online`));
    presence.leave(name);
  }

  /** Records a heartbeat and reports what waits for the caller. */
  async heartbeat(caller: Caller): Promise<Omit<HeartbeatResponse, "$typeName">> {
    const { store, clock, presence, config } = this.deps;
    presence.heartbeat(caller.name);
    // Coming online takes a lease in the store: answer once every hub sees it.
    await presence.written(caller.name);
    return store.transaction(async (tx) => ({
      unreadCount: await tx.messages.countUnread(caller.name, clock.now()),
      headSeq: await tx.events.head(),
      presenceTtlSeconds: config.presenceTtlSeconds,
    }));
  }

  /** Sets the caller's status text and announces it. */
  async setStatus(caller: Caller, req: SetStatusRequest): Promise<Instance> {
    const { store, clock } = this.deps;
    const instance = await store.transaction(async (tx) => {
      const instance = await this.require(tx, caller.name);
      instance.status = req.status;
      await tx.identity.putInstance(instance);
      await this.announce(tx, instance, PresenceChangeKind.UPDATED, clock.now());
      return instance;
    });
    return this.withPresence(instance);
  }

  /**
   * One page of registered instances with their presence (from the store's
   * leases, so every hub answers alike), filtered, by name.
   */
  async list(req: ListInstancesRequest): Promise<{ instances: Instance[]; nextPageToken: string }> {
    const { store, presence } = this.deps;
    const pageSize = req.pageSize === 0 ? INSTANCE_PAGE : Math.min(req.pageSize, INSTANCE_PAGE);
    let after = nameAfterToken(req.pageToken);
    const matches = (instance: Instance) =>
      (!req.onlineOnly || instance.presence === PresenceState.ONLINE) && Object.entries(req.labels).every(([key, value]) => instance.labels[key] === value);
    const instances: Instance[] = [];
    const batch = pageSize + 1;
    for (;;) {
      const [rows, online] = await store.transaction(async (tx) => [await tx.identity.listInstancesAfter(after, batch), await presence.onlineIn(tx)] as const);
      for (const row of rows) {
        after = row.name;
        const instance = this.withPresence(row, online(row.name));
        if (!matches(instance)) continue;
        if (instances.length === pageSize) return { instances, nextPageToken: pageTokenAfterName(instances[instances.length - 1].name) };
        instances.push(instance);
      }
      if (rows.length < batch) return { instances, nextPageToken: "" };
    }
  }

  /** Writes the JOINED or LEFT event of `name` (SharedPresence decides when, inside `tx`). */
  async presenceChanged(tx: StoreTx, name: string, online: boolean, now: number): Promise<void> {
    const instance = await tx.identity.getInstance(name);
    if (!instance) return;
    instance.lastSeenAt = timestampFromMs(now);
    await tx.identity.putInstance(instance);
    await this.announce(tx, instance, online ? PresenceChangeKind.JOINED : PresenceChangeKind.LEFT, now, online);
  }

  /**
   * Follows committed events: a name removed on any hub, or whose sessions a
   * revoked key ended, loses its cached sessions and its streams here too.
   */
  apply(events: readonly CommittedEvent[]): void {
    for (const { audience, event } of events) {
      if (event.payload.case !== "presence" || !event.payload.value.instance) continue;
      const { name } = event.payload.value.instance;
      if (audience === SESSIONS_ENDED) {
        this.forgetSessionsOf(name);
        this.deps.fanout.closeFor(name, new UnavailableError(`the sessions of "${name}" ended (its agent key was revoked); register again with a valid key`));
      } else if (event.payload.value.kind === PresenceChangeKind.REMOVED) {
        this.forgetSessionsOf(name);
      }
    }
  }

  private forgetSessionsOf(name: string): void {
    for (const [key, owner] of this.sessionCache) if (owner.name === name) this.sessionCache.delete(key);
  }

  /** Throws NotFoundError unless `name` is registered. */
  async requireName(tx: StoreTx, name: string): Promise<void> {
    if (!(await tx.identity.hasInstance(name))) throw new NotFoundError(`no instance named "${name}" is registered; see ListInstances`);
  }

  /** The instance, or NotFoundError. */
  async require(tx: StoreTx, name: string): Promise<Instance> {
    const instance = await tx.identity.getInstance(name);
    if (!instance) throw new NotFoundError(`no instance named "${name}" is registered; see ListInstances`);
    return instance;
  }

  /** Fills in presence and last-seen time from the live tracker. */
  withPresence(instance: Instance, online = this.deps.presence.isOnline(instance.name)): Instance {
    instance.presence = online ? PresenceState.ONLINE : PresenceState.OFFLINE;
    const lastSeen = this.deps.presence.lastSeen(instance.name);
    if (lastSeen !== undefined) instance.lastSeenAt = timestampFromMs(lastSeen);
    return instance;
  }

  private async announce(tx: StoreTx, instance: Instance, kind: PresenceChangeKind, at: number, online?: boolean) {
    const shown = this.withPresence(instance, online);
    await tx.events.append([
      { audience: EVERYONE, at, payload: { case: "presence", value: { $typeName: "linker.v1.PresenceChange", instance: shown, kind } } },
    ]);
  }
}
