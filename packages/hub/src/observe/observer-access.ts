import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { timingSafeEqual } from "node:crypto";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearerToken, isLoopbackHost, isWellFormedSessionToken } from "@linker/protocol";
import { AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { AuditLog } from "../access/audit-log.js";
import { actorOf, isAdmin, isObserver } from "../access/credential.js";
import type { KeyRing } from "../access/key-ring.js";
import { hostnameOf, nodeRequestKey, type Peer, peerOf } from "./peer.js";

/** The LinkerService RPCs that read the whole hub and need no session. */
export const OBSERVER_METHODS: ReadonlySet<string> = new Set([
  LinkerService.method.getHubStatus.name,
  LinkerService.method.watchHub.name,
  LinkerService.method.getHubConversation.name,
]);

/**
 * Reads that act as nobody in particular (instances, memory, tasks): made
 * without a session, the observer policy decides them, so a program that only
 * looks never has to register a name. With a session token they act as its
 * instance as usual (ListTasks' own scopes need one).
 */
export const OPEN_READS: ReadonlySet<string> = new Set(
  [LinkerService.method.listInstances, LinkerService.method.getMemory, LinkerService.method.listMemory, LinkerService.method.getTask, LinkerService.method.listTasks].map(
    (method) => method.name,
  ),
);

/** Set on calls the observer policy let through; the auth interceptor then asks for no session. */
export const observerGrantKey = createContextKey(false, { description: "observer access granted" });

/** Set on observer calls whose caller may see where the hub keeps its files (admins, this machine). */
export const seesDataDirKey = createContextKey(false, { description: "observer may see the data folder" });

/** What an observer policy grants a call it allows. */
export interface ObserverGrant {
  /** Whether the caller may see the hub's data folder (GetHubStatus). */
  seesDataDir: boolean;
}

/** One observer call as the policy sees it. */
export interface ObserverCall {
  /** RPC name, for example "WatchHub". */
  method: string;
  /** The bearer token of the Authorization header, if any. */
  bearer: string | undefined;
  /** Where the call came from. */
  peer: Peer;
}

/**
 * Decides who may call the observer RPCs: resolves to allow, throws a
 * ConnectError (UNAUTHENTICATED or PERMISSION_DENIED) to refuse. This is the
 * one place observer and admin credentials plug in.
 */
export type ObserverPolicy = (call: ObserverCall) => void | ObserverGrant | Promise<void | ObserverGrant>;

/** A browser call is allowed only from the page the hub itself served. */
function checkSameOrigin(peer: Peer): void {
  if (peer.origin === undefined) return;
  let origin: URL | undefined;
  try {
    origin = new URL(peer.origin);
  } catch {
    origin = undefined;
  }
  if (!origin || origin.host !== peer.host) {
    throw new ConnectError(`observer RPCs are answered to the hub's own dashboard only, not to pages from ${peer.origin}`, Code.PermissionDenied);
  }
}

/**
 * The policy of a hub without per-agent credentials: with a hub secret, the
 * caller must present it as its bearer token; without one, only this machine
 * may observe (a loopback socket, asking for a loopback host name, so a page
 * reached through DNS rebinding is refused). Browsers must come from the
 * hub's own origin either way.
 */
export function defaultObserverPolicy(hubSecret: string | undefined): ObserverPolicy {
  const secret = hubSecret ? Buffer.from(hubSecret) : undefined;
  return ({ bearer, peer }) => {
    if (secret) {
      const given = bearer === undefined ? undefined : Buffer.from(bearer);
      if (!given || given.length !== secret.length || !timingSafeEqual(given, secret)) {
        throw new ConnectError("this hub requires its secret for observer RPCs: send 'Authorization: Bearer <hub secret>'", Code.Unauthenticated);
      }
    } else if (peer.address === undefined || !isLoopbackHost(peer.address) || (peer.host !== undefined && !isLoopbackHost(hostnameOf(peer.host)))) {
      throw new ConnectError(
        "observer RPCs are answered on this machine only (loopback address and host name); beyond it the hub needs credentials",
        Code.PermissionDenied,
      );
    }
    checkSameOrigin(peer);
  };
}

/** What the credential-aware observer policy needs from the hub. */
export interface ObserverPolicyDeps {
  /** Registration mode: "open" observes from this machine without a credential; "secret" accepts the hub secret. */
  mode: "open" | "secret" | "keys";
  /** Identifies bearer tokens. */
  keys: KeyRing;
  /** Records refusals and key use. */
  audit: AuditLog;
}

/**
 * The observer policy of a hub with credentials: an observer or admin key
 * (or the hub's admin key) is accepted everywhere; the hub secret where the
 * mode is "secret"; nothing but this machine where it is "open". Agent keys
 * are refused (they act as names, not as observers). Only admins and this
 * machine see the data folder. Browsers must come from the hub's own origin.
 */
export function credentialObserverPolicy(deps: ObserverPolicyDeps): ObserverPolicy {
  const { mode, keys, audit } = deps;
  return async ({ method, bearer, peer }) => {
    const credential = await keys.identify(bearer);
    const refuse = (kind: AuditKind, message: string, code: Code): never => {
      audit.refused({ kind, actor: actorOf(credential), keyId: credential.kind === "key" ? credential.key.id : "", peer: peer.address ?? "", method, detail: message });
      throw new ConnectError(message, code);
    };
    checkSameOrigin(peer);
    if (credential.kind === "invalid") refuse(AuditKind.AUTH_FAILED, credential.reason, Code.Unauthenticated);
    if (isObserver(credential)) {
      if (credential.kind === "key") audit.keyUsed(credential.key.id, { actor: credential.key.label, peer: peer.address ?? "", method });
      return { seesDataDir: isAdmin(credential) };
    }
    if (credential.kind === "key") refuse(AuditKind.PERMISSION_DENIED, `an agent key does not observe the hub: ${method} needs an observer or admin key`, Code.PermissionDenied);
    if (mode === "secret" && credential.kind === "secret") return { seesDataDir: false };
    if (mode === "open" && peer.address !== undefined && isLoopbackHost(peer.address) && (peer.host === undefined || isLoopbackHost(hostnameOf(peer.host)))) {
      return { seesDataDir: true };
    }
    return refuse(
      AuditKind.AUTH_FAILED,
      mode === "open"
        ? "observer RPCs are answered on this machine only (loopback address and host name), or to an observer key"
        : `${method} needs an observer or admin key${mode === "secret" ? ", or the hub secret" : ""}: send 'Authorization: Bearer <key>'`,
      mode === "open" ? Code.PermissionDenied : Code.Unauthenticated,
    );
  };
}

/**
 * Applies `policy` to every observer RPC, and to open reads made without a
 * session, and marks the calls it allows, so the session check lets them
 * through; every other RPC passes untouched.
 */
export function createObserverAccessInterceptor(policy: ObserverPolicy): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName !== LinkerService.typeName) return next(req);
    const bearer = bearerToken(req.header.get("authorization"));
    const sessionless = OPEN_READS.has(req.method.name) && !(bearer !== undefined && isWellFormedSessionToken(bearer));
    if (!OBSERVER_METHODS.has(req.method.name) && !sessionless) return next(req);
    const grant = await policy({ method: req.method.name, bearer, peer: peerOf(req.contextValues.get(nodeRequestKey)) });
    req.contextValues.set(observerGrantKey, true);
    req.contextValues.set(seesDataDirKey, grant ? grant.seesDataDir : true);
    return next(req);
  };
}
