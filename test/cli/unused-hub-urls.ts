import { startHubProcess } from "../support/hub-process.js";

/**
 * `count` different hub URLs on which nothing listens: the ports of hubs that
 * were started together (so the ports differ) and then stopped.
 */
export async function unusedHubUrls(count: number): Promise<string[]> {
  const hubs = await Promise.all(Array.from({ length: count }, () => startHubProcess({ args: ["--store", "memory"] })));
  await Promise.all(hubs.map((hub) => hub.stop()));
  return hubs.map((hub) => hub.url);
}
