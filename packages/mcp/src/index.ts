export { mcpHttpEndpoint, MCP_PATH, type McpEndpointOptions, NAME_HEADER } from "./http-endpoint.js";
export { type McpServerOptions, runMcpServer } from "./main.js";
export { createLinkerMcpServer, type LinkerMcpServer, MCP_SERVER_VERSION } from "./mcp-server.js";
export { formatPeerMessage, formatPeerMessages, kindName, UNTRUSTED_NOTE } from "./peer-text.js";
