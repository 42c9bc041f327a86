import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { timingSafeEqual } from "node:crypto";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { callerKey } from "./caller.js";
import { OBSERVER_METHODS, OPEN_READS, observerGrantKey } from "./observe/observer-access.js";
import type { Registry } from "./registry.js";
import { bearerToken } from "@linker/protocol";

/**
 * Resolves the caller of every LinkerService RPC except Register from its
 * `Authorization: Bearer <session token>` header, so identity never comes from
 * a request field. Register itself needs the hub secret when one is set;
 * observer RPCs, and open reads made without a session, that the observer
 * access policy allowed need no session.
 */
export function createAuthInterceptor(registry: Registry, hubSecret: string | undefined): Interceptor {
  const secret = hubSecret === undefined || hubSecret === "" ? undefined : Buffer.from(hubSecret);
  return (next) => async (req) => {
    if (req.service.typeName !== LinkerService.typeName) return next(req);
    // Observer RPCs were checked by the observer access policy instead.
    if (req.contextValues.get(observerGrantKey) && (OBSERVER_METHODS.has(req.method.name) || OPEN_READS.has(req.method.name))) return next(req);
    const token = bearerToken(req.header.get("authorization"));
    if (req.method.name === LinkerService.method.register.name) {
      if (secret && !(token !== undefined && safeEqual(Buffer.from(token), secret))) {
        throw new ConnectError(
          "this hub requires its secret to register: send 'Authorization: Bearer <hub secret>' with Register",
          Code.Unauthenticated,
        );
      }
      return next(req);
    }
    if (token === undefined) {
      throw new ConnectError(
        "missing session token: call Register first and send its session_token as 'Authorization: Bearer <token>'",
        Code.Unauthenticated,
      );
    }
    const name = await registry.resolveSession(token);
    if (name === undefined) {
      throw new ConnectError(
        "unknown or ended session token: call Register again (with resume_token to keep your name)",
        Code.Unauthenticated,
      );
    }
    req.contextValues.set(callerKey, { name, token });
    return next(req);
  };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
