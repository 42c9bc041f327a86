export { Backoff, type BackoffOptions } from "./backoff.js";
export {
  type CaughtUpEvent,
  type ConnectedEvent,
  type DataEvent,
  type DisconnectedEvent,
  type ErrorEvent,
  type HubChangedEvent,
  type LinkerEvent,
  type LinkerEventMap,
  type MemoryEvent,
  type MessageEvent,
  type PresenceEvent,
  type ReceiptEvent,
  type RecoveredEvent,
  type RegisteredEvent,
  type TaskEvent,
} from "./client-events.js";
export { DedupeCache } from "./dedupe-cache.js";
export { EventQueue } from "./event-queue.js";
export { createFailoverTransport, isRepeatable, retryBudget, type FailoverTransportOptions } from "./failover-transport.js";
export { HubEndpoints, type Endpoint, type FailoverOutcome, type HubEndpointsOptions } from "./hub-endpoints.js";
export { isHubFailure, neverReachedHub } from "./hub-failure.js";
export { type AutoHubOptions, createHubKeeper, type HubKeeper, type HubKeeperOutcome } from "./hub-keeper.js";
export { cleartextGuard, createHubTransport, type HubTransport, type HubTransportOptions, type WireProtocol } from "./hub-transport.js";
export { type ClientStats, createLinkerClient, LinkerClient } from "./linker-client.js";
export { LinkerCalls, type RequestFields } from "./linker-calls.js";
export { type LinkerClientOptions } from "./client-options.js";
export { NoStoredSessionError, type RegistrationDetails, type SessionMode } from "./client-session.js";
export { type ClientState, type StreamStats } from "./client-stream.js";
export { CursorCheckpoint } from "./cursor-checkpoint.js";
export { EventBus, type EventsOptions } from "./event-bus.js";
export { LinkerError, type LinkerErrorContext, toLinkerError } from "./linker-error.js";
export { FileSessionStore, MemorySessionStore, type SessionRecord, type SessionStore } from "./session-store.js";
export { sessionHubKey } from "./hub-key.js";
export { detectWorkspace, gitBranch, NAME_PATTERN, nameFromFolder, projectDir, type WorkspaceInfo } from "./workspace.js";
export { type ClientLogger, SILENT_LOGGER } from "./client-logger.js";
export {
  ensureHub,
  type EnsureHubOptions,
  HubPortBusyError,
  HubSupervisor,
  type HubSupervisorOptions,
  type HubOutcome,
  type HubRole,
  probeHub,
  type ProbeResult,
} from "./hub-election.js";
export { type HostedHub, HostingUnavailableError, type HubSite, type HubStarter, hubStarter, type HubStarterOptions } from "./hub-hosting.js";
export { chooseHostingPath, type HostingCandidate, type HostingChoice, type HostingPathOptions, type HostingPathStarter, NoHostingPathError } from "./hosting-path.js";
export { HUB_PROCESS_EXIT, hubProcessArgs, type HubProcessReport, parseHubProcessArgs, parseHubProcessReport } from "./hub-process-protocol.js";
export { type HubProcessOptions, runHubProcess, runtimeDescription, StoreUnavailableError } from "./hub-process.js";
export { type HubProcess, HubRuntimeUnavailableError, hubProcessStarter, type HubProcessStarterOptions } from "./hub-process-starter.js";
export { type Publication, publishAll, type PublishOptions } from "./publisher.js";
