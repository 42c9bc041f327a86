import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearerToken, isLoopbackHost } from "@linker/protocol";
import type { AuditLog } from "./access/audit-log.js";
import { actorOf, type Credential, credentialKey, isAdmin } from "./access/credential.js";
import type { KeyRing } from "./access/key-ring.js";
import { callerKey } from "./caller.js";
import { authMode, type HubConfig } from "./config.js";
import { OBSERVER_METHODS, OPEN_READS, observerGrantKey } from "./observe/observer-access.js";
import { nodeRequestKey, peerOf } from "./observe/peer.js";
import type { Registry } from "./registry.js";

/** The admin RPCs: they need an admin key. */
export const ADMIN_METHODS: ReadonlySet<string> = new Set([
  LinkerService.method.createKey.name,
  LinkerService.method.listKeys.name,
  LinkerService.method.revokeKey.name,
  LinkerService.method.releaseName.name,
  LinkerService.method.listAuditEntries.name,
]);

/** What the auth interceptor needs from the hub. */
export interface AuthDeps {
  registry: Registry;
  keys: KeyRing;
  audit: AuditLog;
  config: HubConfig;
}

/**
 * Resolves who calls every LinkerService RPC, so identity never comes from a
 * request field:
 * - Register takes the credential the hub's mode asks for (an agent key, the
 *   hub secret, or nothing on an open loopback hub) and hands it to the
 *   registry, which decides which names it may take;
 * - admin RPCs need an admin key;
 * - observer RPCs, and open reads made without a session, were checked by the
 *   observer access policy;
 * - every other RPC needs `Authorization: Bearer <session token>`.
 * Refusals are UNAUTHENTICATED or PERMISSION_DENIED with what to do, and are
 * recorded in the audit log.
 */
export function createAuthInterceptor(deps: AuthDeps): Interceptor {
  const { registry, keys, audit, config } = deps;
  const mode = authMode(config);
  return (next) => async (req) => {
    if (req.service.typeName !== LinkerService.typeName) return next(req);
    // Observer RPCs were checked by the observer access policy instead.
    if (req.contextValues.get(observerGrantKey) && (OBSERVER_METHODS.has(req.method.name) || OPEN_READS.has(req.method.name))) return next(req);
    const method = req.method.name;
    const bearer = bearerToken(req.header.get("authorization"));
    const peer = peerOf(req.contextValues.get(nodeRequestKey)).address ?? "";
    const refuse = (kind: AuditKind, credential: Credential, message: string, code: Code): never => {
      audit.refused({ kind, actor: actorOf(credential), keyId: credential.kind === "key" ? credential.key.id : "", peer, method, detail: message });
      throw new ConnectError(message, code);
    };

    if (ADMIN_METHODS.has(method)) {
      const credential = await keys.identify(bearer);
      if (credential.kind === "invalid") refuse(AuditKind.AUTH_FAILED, credential, credential.reason, Code.Unauthenticated);
      if (!isAdmin(credential)) {
        if (credential.kind === "anonymous") {
          refuse(AuditKind.AUTH_FAILED, credential, `${method} needs an admin key: send 'Authorization: Bearer <key>' with the hub's <data dir>/admin.key or a key of role admin`, Code.Unauthenticated);
        }
        refuse(AuditKind.PERMISSION_DENIED, credential, `${method} needs an admin key; this credential is not one`, Code.PermissionDenied);
      }
      if (credential.kind === "key") audit.keyUsed(credential.key.id, { actor: credential.key.label, peer, method });
      req.contextValues.set(credentialKey, credential);
      return next(req);
    }

    if (method === LinkerService.method.register.name) {
      const credential = await keys.identify(bearer);
      if (credential.kind === "invalid") refuse(AuditKind.AUTH_FAILED, credential, credential.reason, Code.Unauthenticated);
      if (credential.kind === "hub-admin") {
        refuse(AuditKind.PERMISSION_DENIED, credential, "the hub's admin key registers no names: create an agent key for the name (linker key create NAME)", Code.PermissionDenied);
      }
      if (mode === "keys" && credential.kind !== "key") {
        refuse(AuditKind.AUTH_FAILED, credential, "this hub requires an agent key to register: send 'Authorization: Bearer <key>' (ask its operator: linker key create NAME)", Code.Unauthenticated);
      }
      if (mode === "secret" && credential.kind === "anonymous") {
        refuse(
          AuditKind.AUTH_FAILED,
          credential,
          "this hub requires its secret to register: send 'Authorization: Bearer <hub secret>' (or an agent key) with Register",
          Code.Unauthenticated,
        );
      }
      if (mode === "open" && credential.kind === "anonymous" && peer !== "" && !isLoopbackHost(peer)) {
        refuse(AuditKind.AUTH_FAILED, credential, "this hub takes registrations without a credential from this machine only", Code.Unauthenticated);
      }
      req.contextValues.set(credentialKey, credential);
      return next(req);
    }

    if (bearer === undefined) {
      refuse(
        AuditKind.AUTH_FAILED,
        { kind: "anonymous" },
        "missing session token: call Register first and send its session_token as 'Authorization: Bearer <token>'",
        Code.Unauthenticated,
      );
    }
    const session = await registry.resolveSession(bearer!);
    if (session === undefined) {
      refuse(
        AuditKind.AUTH_FAILED,
        { kind: "anonymous" },
        "unknown or ended session token: call Register again (with resume_token to keep your name)",
        Code.Unauthenticated,
      );
    }
    req.contextValues.set(callerKey, { name: session!.name, token: bearer!, keyId: session!.keyId });
    return next(req);
  };
}
