export { HOOK_PATH, mcpHttpEndpoint, MCP_PATH, type McpEndpointOptions, NAME_HEADER } from "./http-endpoint.js";
export { type McpServerOptions, runMcpServer } from "./main.js";
export { createLinkerMcpServer, type LinkerMcpServer, MCP_SERVER_VERSION } from "./mcp-server.js";
export { formatPeerMessage, formatPeerMessages, kindName, peerFieldsOf } from "./message-view.js";
export { formatPeerFields, formatPeerList, neutralize, type PeerMessageFields, peerBlock, quote, UNTRUSTED_NOTE } from "./peer-text.js";
