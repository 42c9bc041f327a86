import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** Settings `$LINKER_HOME/config.json` may hold: the global options' long names. */
export interface ConfigFile {
  /** Instance name. */
  name?: string;
  /** Hub URL, a comma-separated list, or an array of URLs. */
  hub?: string | string[];
  /** Serve the hub in-process when none answers (long-lived commands). */
  autoHub?: boolean;
  /** Machine output. */
  json?: boolean;
  /** What this instance works on. */
  description?: string;
}

/** Where the config file of a Linker home lives. */
export function configPath(home: string): string {
  return join(home, "config.json");
}

/** Reads the config file; a missing file is an empty config, a broken one a usage error. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, ExitCode.usage);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`, ExitCode.usage, "fix the file or move it away");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`${path} must hold a JSON object such as {"name": "api", "hub": "http://127.0.0.1:3847"}`, ExitCode.usage);
  }
  const record = value as Record<string, unknown>;
  const config: ConfigFile = {};
  const wrong = (key: string, expected: string) => new CliError(`${path}: "${key}" must be ${expected}`, ExitCode.usage);
  if (record.name !== undefined) {
    if (typeof record.name !== "string") throw wrong("name", "a string");
    config.name = record.name;
  }
  if (record.hub !== undefined) {
    const hub = record.hub;
    if (typeof hub !== "string" && !(Array.isArray(hub) && hub.every((url) => typeof url === "string"))) throw wrong("hub", "a URL or an array of URLs");
    config.hub = hub;
  }
  for (const key of ["autoHub", "json"] as const) {
    if (record[key] === undefined) continue;
    if (typeof record[key] !== "boolean") throw wrong(key, "true or false");
    config[key] = record[key];
  }
  if (record.description !== undefined) {
    if (typeof record.description !== "string") throw wrong("description", "a string");
    config.description = record.description;
  }
  return config;
}
