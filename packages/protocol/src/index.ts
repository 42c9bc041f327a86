export { cleartextRefusal, DEFAULT_HUB_URL, DEFAULT_PORT, isLoopbackHost, isLoopbackUrl, linkerHome } from "./hub-address.js";
export { agentKeyId, bearerToken, isWellFormedAgentKey, isWellFormedSessionToken, newAgentKey, newSessionToken } from "./credentials.js";
export { enumChoices, enumValueName } from "./enum-names.js";
export { singleLineSafe, terminalSafe } from "./safe-text.js";
export { timeOrderedId } from "./time-ordered-id.js";
