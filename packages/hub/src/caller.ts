import { createContextKey } from "@connectrpc/connect";

/** The authenticated caller of an RPC, resolved from its session token. */
export interface Caller {
  /** Instance name. */
  name: string;
  /** The session token presented. */
  token: string;
  /** Id of the agent key the session was opened with ("" for none). */
  keyId?: string;
}

/** Context key under which the auth interceptor stores the caller. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });
