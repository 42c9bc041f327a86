import type { HubSite } from "./hub-hosting.js";

/**
 * What a hub child process reports to the process that started it: one JSON
 * object per line on its stdout. Its log goes to stderr; closing its stdin
 * asks it to stop.
 */
export type HubProcessReport =
  /** The hub serves `url`. */
  | { event: "listening"; url: string; pid: number; runtime: string; store: string }
  /** The store cannot open in this runtime; `retryArgs` are runtime flags that may help (for example --experimental-sqlite). */
  | { event: "unavailable"; runtime: string; reason: string; retryArgs?: string[] }
  /** Another process holds the port. */
  | { event: "port-in-use"; message: string }
  /** Starting failed for another reason. */
  | { event: "failed"; message: string }
  /** The hub stopped (after stdin closed or a signal). */
  | { event: "stopped" };

/** Exit codes of a hub child process. */
export const HUB_PROCESS_EXIT = { stopped: 0, failed: 1, portInUse: 2, unavailable: 3 } as const;

/** The command-line arguments that tell a hub child process where to serve. */
export function hubProcessArgs(site: HubSite): string[] {
  return ["--host", site.host, "--port", String(site.port), "--data-dir", site.dataDir];
}

/** Reads the site back from `hubProcessArgs` output; throws on anything else. */
export function parseHubProcessArgs(argv: readonly string[]): HubSite {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--host", "--port", "--data-dir"].includes(flag) || value === undefined) {
      throw new Error(`usage: hub-process --host <loopback address> --port <port> --data-dir <folder> (got ${JSON.stringify(argv)})`);
    }
    values.set(flag, value);
  }
  const port = Number(values.get("--port"));
  const host = values.get("--host");
  const dataDir = values.get("--data-dir");
  if (!host || !dataDir || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`usage: hub-process --host <loopback address> --port <port> --data-dir <folder> (got ${JSON.stringify(argv)})`);
  }
  return { host, port, dataDir };
}

/** Parses one stdout line of a hub child process; undefined for anything that is not a report. */
export function parseHubProcessReport(line: string): HubProcessReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const report = value as Record<string, unknown>;
  const text = (key: string) => (typeof report[key] === "string" ? (report[key] as string) : "");
  switch (report.event) {
    case "listening":
      return { event: "listening", url: text("url"), pid: typeof report.pid === "number" ? report.pid : 0, runtime: text("runtime"), store: text("store") };
    case "unavailable": {
      const retryArgs = Array.isArray(report.retryArgs) ? report.retryArgs.filter((arg): arg is string => typeof arg === "string" && arg.startsWith("--")) : undefined;
      return { event: "unavailable", runtime: text("runtime"), reason: text("reason"), ...(retryArgs?.length ? { retryArgs } : {}) };
    }
    case "port-in-use":
      return { event: "port-in-use", message: text("message") };
    case "failed":
      return { event: "failed", message: text("message") };
    case "stopped":
      return { event: "stopped" };
    default:
      return undefined;
  }
}
