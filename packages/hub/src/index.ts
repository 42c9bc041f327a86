export { type HubConfig, type HubFaults, type HubLimits, defaultLimits, hubConfig } from "./config.js";
export { createLogger, type HubLogger } from "./logger.js";
export {
  type HttpHandler,
  type HttpHandlerFactory,
  hubRouter,
  openStore,
  type RunningHub,
  startHub,
  type StartHubOptions,
  UnsafeBindError,
} from "./start-hub.js";
export { createHub, type Hub } from "./hub.js";
