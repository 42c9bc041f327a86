import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { timingSafeEqual } from "node:crypto";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { callerKey } from "./caller.js";
import type { Registry } from "./registry.js";
import { bearerToken } from "@linker/protocol";

/**
 * Reads that act as nobody in particular: a caller without a session may make
 * them (with the hub secret when one is set), so a command that only looks
 * never has to register a name. A session, when presented, still identifies
 * the caller (ListTasks' own scopes need one).
 */
const OPEN_READS: ReadonlySet<string> = new Set(
  [LinkerService.method.listInstances, LinkerService.method.getMemory, LinkerService.method.listMemory, LinkerService.method.getTask, LinkerService.method.listTasks].map(
    (method) => method.name,
  ),
);

/**
 * Resolves the caller of every LinkerService RPC except Register from its
 * `Authorization: Bearer <session token>` header, so identity never comes from
 * a request field. Register itself needs the hub secret when one is set; the
 * open reads need a session or, on a hub with a secret, the secret.
 */
export function createAuthInterceptor(registry: Registry, hubSecret: string | undefined): Interceptor {
  const secret = hubSecret === undefined || hubSecret === "" ? undefined : Buffer.from(hubSecret);
  return (next) => async (req) => {
    if (req.service.typeName !== LinkerService.typeName) return next(req);
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
    if (OPEN_READS.has(req.method.name) && (secret ? token !== undefined && safeEqual(Buffer.from(token), secret) : token === undefined)) {
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
