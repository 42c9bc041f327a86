import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { timingSafeEqual } from "node:crypto";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearerToken, isLoopbackHost, isWellFormedSessionToken } from "@linker/protocol";
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
 * Decides who may call the observer RPCs: returns normally to allow, throws a
 * ConnectError (UNAUTHENTICATED or PERMISSION_DENIED) to refuse. This is the
 * one place observer and admin credentials plug in.
 */
export type ObserverPolicy = (call: ObserverCall) => void;

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
    policy({ method: req.method.name, bearer, peer: peerOf(req.contextValues.get(nodeRequestKey)) });
    req.contextValues.set(observerGrantKey, true);
    return next(req);
  };
}
