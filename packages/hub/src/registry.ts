import { create, equals } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Instance, InstanceSchema, Presence as PresenceState } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type {
  HeartbeatResponse,
  ListInstancesRequest,
  RegisterRequest,
  RegisterResponse,
  SetStatusRequest,
  UnregisterRequest,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Caller } from "./caller.js";
import { NotFoundError, PermissionDeniedError, UnavailableError } from "./errors.js";
import type { HubDeps } from "./hub-deps.js";
import { isWellFormedSessionToken, newSessionToken } from "@linker/protocol";
import { hashToken } from "./sessions.js";
import { type CommittedEvent, EVERYONE, type StoreTx } from "./store/store.js";

/** Sessions remembered in memory (each entry is a token and a name). */
const SESSION_CACHE_SIZE = 10_000;

/** Identity and presence: who is registered, their sessions, and who is online. */
export class Registry {
  /** Recent session tokens and their names, so a call does not hash its token and read the store. */
  private readonly sessionCache = new Map<string, string>();

  constructor(private readonly deps: HubDeps) {}

  /** Registers a name, or reclaims it with a token issued for it before. */
  async register(req: RegisterRequest): Promise<Omit<RegisterResponse, "$typeName">> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const result = await store.transaction(async (tx) => {
      const existing = await tx.identity.getInstance(req.name);
      let token: string;
      if (!existing) {
        const holder = await tx.identity.nameTaken(req.name);
        if (holder !== undefined) {
          throw new PermissionDeniedError(`the name "${req.name}" is taken: "${holder}" is registered, and names are unique regardless of case; register another name`);
        }
      }
      if (existing) {
        if (req.resumeToken === "") {
          throw new PermissionDeniedError(
            `the name "${req.name}" is already registered; pass its session token as resume_token to reclaim it, or register another name`,
          );
        }
        const owner = await tx.identity.getSession(hashToken(req.resumeToken));
        if (owner !== req.name) {
          throw new PermissionDeniedError(`resume_token is not a session of "${req.name}"; register another name or use that name's token`);
        }
        token = req.resumeToken;
      } else {
        token = isWellFormedSessionToken(req.resumeToken) && !(await tx.identity.getSession(hashToken(req.resumeToken))) ? req.resumeToken : newSessionToken();
        await tx.identity.putSession(hashToken(token), req.name, now);
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
      if (changed) await this.announce(tx, instance, PresenceChangeKind.UPDATED, now);
      return {
        instance,
        token,
        reclaimed: existing !== undefined,
        unreadCount: await tx.messages.countUnread(req.name, now),
        headSeq: await tx.events.head(),
        oldestUnreadSeq: (await tx.messages.listInbox({ recipient: req.name, unreadOnly: true, sender: "", afterSeq: 0n, limit: 1, now }))[0]?.seq ?? 0n,
      };
    });
    this.remember(result.token, req.name);
    return {
      instance: this.withPresence(result.instance),
      sessionToken: result.token,
      reclaimed: result.reclaimed,
      unreadCount: result.unreadCount,
      headSeq: result.headSeq,
      oldestUnreadSeq: result.oldestUnreadSeq,
    };
  }

  /** The instance name a session token belongs to, if it is valid. */
  async resolveSession(token: string): Promise<string | undefined> {
    const cached = this.sessionCache.get(token);
    if (cached !== undefined) return cached;
    const name = await this.deps.store.transaction((tx) => tx.identity.getSession(hashToken(token)));
    if (name !== undefined) this.remember(token, name);
    return name;
  }

  /** Caches a valid session, dropping the oldest entries beyond SESSION_CACHE_SIZE. */
  private remember(token: string, name: string): void {
    this.sessionCache.delete(token);
    this.sessionCache.set(token, name);
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

  /** Registered instances with their presence (from the store's leases, so every hub answers alike), filtered. */
  async list(req: ListInstancesRequest): Promise<Instance[]> {
    const { store, presence } = this.deps;
    const [instances, online] = await store.transaction(async (tx) => [await tx.identity.listInstances(), await presence.onlineIn(tx)] as const);
    return instances
      .map((instance) => this.withPresence(instance, online(instance.name)))
      .filter((instance) => !req.onlineOnly || instance.presence === PresenceState.ONLINE)
      .filter((instance) => Object.entries(req.labels).every(([key, value]) => instance.labels[key] === value));
  }

  /** Writes the JOINED or LEFT event of `name` (SharedPresence decides when, inside `tx`). */
  async presenceChanged(tx: StoreTx, name: string, online: boolean, now: number): Promise<void> {
    const instance = await tx.identity.getInstance(name);
    if (!instance) return;
    instance.lastSeenAt = timestampFromMs(now);
    await tx.identity.putInstance(instance);
    await this.announce(tx, instance, online ? PresenceChangeKind.JOINED : PresenceChangeKind.LEFT, now, online);
  }

  /** Follows committed events: a name removed on any hub loses its cached sessions here too. */
  apply(events: readonly CommittedEvent[]): void {
    for (const { event } of events) {
      if (event.payload.case === "presence" && event.payload.value.kind === PresenceChangeKind.REMOVED && event.payload.value.instance) {
        this.forgetSessionsOf(event.payload.value.instance.name);
      }
    }
  }

  private forgetSessionsOf(name: string): void {
    for (const [key, owner] of this.sessionCache) if (owner === name) this.sessionCache.delete(key);
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
