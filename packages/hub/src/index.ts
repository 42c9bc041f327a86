export { defaultLimits, type HubConfig, type HubConfigInput, hubConfig, hubDefaults, type HubLimits } from "./config.js";
export { HUB_SETTINGS, hubConfigInput, type HubSetting, settingDefault, type SettingParser } from "./hub-settings.js";
export { createLogger, type HubLogger } from "./logger.js";
export {
  type HttpHandler,
  type HttpHandlerFactory,
  type HubAccess,
  hubRouter,
  openStore,
  type RunningHub,
  startHub,
  type StartHubOptions,
  HubConfigError,
  UnsafeBindError,
} from "./start-hub.js";
export { createHub, type Hub } from "./hub.js";
