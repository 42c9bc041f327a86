export { DEFAULT_HUB_URL, DEFAULT_PORT, isLoopbackHost, isLoopbackUrl, linkerHome } from "./hub-address.js";
export { bearerToken, isWellFormedSessionToken, newSessionToken } from "./credentials.js";
export { enumChoices, enumValueName } from "./enum-names.js";
export { timeOrderedId } from "./time-ordered-id.js";
