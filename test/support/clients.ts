import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { LinkerService, type RegisterRequest } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RegisterRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** A LinkerService client. */
export type LinkerClient = Client<typeof LinkerService>;

/** Which wire protocol a test client speaks. */
export type Protocol = "grpc" | "connect";

/** A transport to `url`: gRPC over h2c, or Connect over HTTP/1.1. */
export function transportFor(url: string, protocol: Protocol, interceptors: Interceptor[] = []): Transport {
  return protocol === "grpc"
    ? createGrpcTransport({ baseUrl: url, interceptors })
    : createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors });
}

/** An interceptor sending `Authorization: Bearer <token()>`. */
export function bearer(token: () => string | undefined): Interceptor {
  return (next) => (req) => {
    const value = token();
    if (value) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

/** A registered agent: its client carries its session token. */
export interface Agent {
  /** Registered name. */
  name: string;
  /** Session token. */
  token: string;
  /** Client authenticated as this agent. */
  client: LinkerClient;
  /** Unauthenticated-free response of Register. */
  registered: Awaited<ReturnType<LinkerClient["register"]>>;
}

/** Registers `name` and returns a client that acts as it. */
export async function registerAgent(
  transport: (interceptors: Interceptor[]) => Transport,
  name: string,
  extra: Omit<MessageInitShape<typeof RegisterRequestSchema>, "name"> = {},
): Promise<Agent> {
  let token: string | undefined;
  const client = createClient(LinkerService, transport([bearer(() => token)]));
  const registered = await client.register({ name, ...extra } as RegisterRequest);
  token = registered.sessionToken;
  return { name, token, client, registered };
}
