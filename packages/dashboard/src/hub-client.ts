import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** RPCs that read the whole hub: they take the access key, never a session. */
const OBSERVER_METHODS = new Set(["GetHubStatus", "WatchHub", "GetHubConversation"]);

/** Reads that act as nobody in particular: without a session (an overseer that only watches), the access key. */
const OPEN_READS = new Set(["ListInstances", "GetMemory", "ListMemory", "GetTask", "ListTasks"]);

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
 * needs in `Authorization`: the access key for Register and observer RPCs
 * (and the open reads while no session is held), the session token for
 * everything the overseer does as an instance.
 */
export function createHubClient(credentials: Credentials): Client<typeof LinkerService> {
  const authorize: Interceptor = (next) => (req) => {
    const observer = OBSERVER_METHODS.has(req.method.name) || req.method.name === "Register";
    const session = credentials.sessionToken();
    const token = observer || (session === undefined && OPEN_READS.has(req.method.name)) ? credentials.accessKey() : session;
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors: [authorize] });
  return createClient(LinkerService, transport);
}
