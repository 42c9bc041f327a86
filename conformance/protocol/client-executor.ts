import type { ClientCompatRequest, ClientCompatResponse } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";

/** Carries out ClientCompatRequests: a client under test as the runner sees it. */
export interface ClientExecutor {
  /** Performs one instruction and reports what happened. */
  execute(request: ClientCompatRequest): Promise<ClientCompatResponse>;
  /** Cancels open streams and waits for started calls to settle. */
  close(): Promise<void>;
}
