import type { Protocol } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import type { ClientExecutor } from "../protocol/client-executor.js";

/** The hub a case runs against. */
export interface HubTarget {
  /** Base URL now (it may change after a restart). */
  url(): string;
  /**
   * Base URLs of every hub serving the same data, url() first (more than one
   * for replicas); agent k of a case talks to urls()[k % length].
   */
  urls(): string[];
  /** Stops and restarts the hub on the same data. */
  restart(abrupt: boolean): Promise<void>;
}

/** Everything a case needs besides its script. */
export interface CaseContext {
  /** Executes instructions: a client under test, or the reference client. */
  executor: ClientExecutor;
  /** The hub. */
  hub: HubTarget;
  /** Wire protocol the client is asked to speak. */
  protocol: Protocol;
  /** Unique id of this run, part of every agent name. */
  runId: string;
  /** Position of the case in the run, part of every agent name. */
  index: number;
  /** The admin key the hub accepts ({{admin_key}}). */
  adminKey?: string;
}
