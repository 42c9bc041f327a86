import type { HubStarter } from "@linker/client";
import type { HubLogger } from "@linker/hub";
import { mcpHttpEndpoint } from "./http-endpoint.js";

/**
 * Starts a hub in this process when the MCP server must host one, with the
 * MCP endpoint at /mcp beside the RPCs. The hub package is loaded only then.
 */
export function mcpHubStarter(logger: HubLogger): HubStarter {
  return async (site) => {
    const { hubConfig, startHub } = await import("@linker/hub");
    return startHub(hubConfig(site), { logger, httpHandler: mcpHttpEndpoint() });
  };
}
