import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** RPCs that read the whole hub: they take the access key, never a session. */
const OBSERVER_METHODS = new Set(["GetHubStatus", "WatchHub", "GetHubConversation"]);

/** Credentials the dashboard presents. */
export interface Credentials {
  /** Access key for Register and the observer RPCs ("" for none). */
  accessKey(): string;
  /** The overseer's session token once registered. */
  sessionToken(): string | undefined;
}

/**
 * A LinkerService client in the browser, over Connect-Web to the hub that
 * served the page (same origin). Each call carries the credential its RPC
 * needs in `Authorization`: the access key for Register and observer RPCs,
 * the session token for everything the overseer does as an instance.
 */
export function createHubClient(credentials: Credentials): Client<typeof LinkerService> {
  const authorize: Interceptor = (next) => (req) => {
    const observer = OBSERVER_METHODS.has(req.method.name) || req.method.name === "Register";
    const token = observer ? credentials.accessKey() : credentials.sessionToken();
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors: [authorize] });
  return createClient(LinkerService, transport);
}
