import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_HUB_URL } from "@linker/protocol";
import { CliError } from "./cli-error.js";
import { configPath, readConfigFile } from "./config-file.js";
import { ExitCode } from "./exit-codes.js";
import { nameFromFolder, projectDir } from "@linker/client/workspace";
import { checkName } from "./instance-name.js";

/** The root program's options as commander parsed them. */
export interface GlobalOptions {
  name?: string;
  hub?: string;
  autoHub?: boolean;
  home?: string;
  json?: boolean;
  description?: string;
  ca?: string;
}

/** Where the instance name came from. */
export type NameSource = "--name" | "LINKER_NAME" | "config" | "folder";

/** The global settings every command runs with (flags > environment > config file > defaults). */
export interface Settings {
  /** Instance name the command acts as. */
  name: string;
  /** Where the name came from. */
  nameSource: NameSource;
  /** Hub URLs in order of preference. */
  hubs: string[];
  /** Serve the hub in-process when none answers; undefined when nobody chose. */
  autoHub: boolean | undefined;
  /** Folder of hub.db, sessions and config.json. */
  home: string;
  /** Machine output. */
  json: boolean;
  /** What this instance works on. */
  description: string | undefined;
  /** The project folder the default name comes from. */
  projectDir: string;
  /** The config file that was consulted. */
  configPath: string;
  /** The credential Register presents: LINKER_KEY (an agent key), else LINKER_HUB_SECRET. */
  credential: string | undefined;
  /** PEM of the CA to trust for https:// hubs (--ca or LINKER_CA: a file). */
  ca: string | undefined;
  /** Where the CA came from, for messages. */
  caPath: string | undefined;
}

/** `--home`, else `$LINKER_HOME`, else ~/.linker, as an absolute path. */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? (env.LINKER_HOME !== undefined && env.LINKER_HOME !== "" ? env.LINKER_HOME : join(homedir(), ".linker"));
  return resolve(chosen);
}

/** Splits a comma-separated list of hub URLs and checks each one. */
export function parseHubUrls(list: string | string[], where: string): string[] {
  const urls = (Array.isArray(list) ? list : [list])
    .flatMap((item) => item.split(","))
    .map((url) => url.trim().replace(/\/+$/, ""))
    .filter((url) => url !== "");
  if (urls.length === 0) throw new CliError(`${where} names no hub URL`, ExitCode.usage, `for example ${DEFAULT_HUB_URL}`);
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new CliError(`${where}: ${JSON.stringify(url)} is not an http:// or https:// URL`, ExitCode.usage, `for example ${DEFAULT_HUB_URL}`);
    }
  }
  return urls;
}

function envFlag(value: string | undefined, variable: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new CliError(`${variable}=${value} is neither true nor false`, ExitCode.usage);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Resolves the global settings: flags, then LINKER_* variables, then `$LINKER_HOME/config.json`, then defaults. */
export function resolveSettings(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Settings {
  const home = resolveHome(options.home, env);
  const path = configPath(home);
  const file = readConfigFile(path);
  const dir = projectDir(env, cwd);

  let name: string;
  let nameSource: NameSource;
  if (options.name !== undefined) [name, nameSource] = [checkName(options.name, "--name"), "--name"];
  else if (nonEmpty(env.LINKER_NAME) !== undefined) [name, nameSource] = [checkName(env.LINKER_NAME!, "LINKER_NAME"), "LINKER_NAME"];
  else if (file.name !== undefined) [name, nameSource] = [checkName(file.name, `name in ${path}`), "config"];
  else [name, nameSource] = [nameFromFolder(dir), "folder"];

  let hubs: string[];
  if (options.hub !== undefined) hubs = parseHubUrls(options.hub, "--hub");
  else if (nonEmpty(env.LINKER_URL) !== undefined) hubs = parseHubUrls(env.LINKER_URL!, "LINKER_URL");
  else if (nonEmpty(env.LINKER_HUB_URL) !== undefined) hubs = parseHubUrls(env.LINKER_HUB_URL!, "LINKER_HUB_URL");
  else if (file.hub !== undefined) hubs = parseHubUrls(file.hub, `hub in ${path}`);
  else hubs = [DEFAULT_HUB_URL];

  const caPath = options.ca ?? nonEmpty(env.LINKER_CA);
  let ca: string | undefined;
  if (caPath !== undefined) {
    try {
      ca = readFileSync(caPath, "utf8");
    } catch (err) {
      throw new CliError(`cannot read the CA file ${caPath}: ${(err as Error).message}`, ExitCode.usage, "pass the hub's ca.pem (printed by linker hub --tls-self-signed)");
    }
  }
  return {
    credential: nonEmpty(env.LINKER_KEY) ?? nonEmpty(env.LINKER_HUB_SECRET),
    ca,
    caPath,
    name,
    nameSource,
    hubs,
    autoHub: options.autoHub ?? envFlag(env.LINKER_AUTO_HUB, "LINKER_AUTO_HUB") ?? file.autoHub,
    home,
    json: options.json ?? envFlag(env.LINKER_JSON, "LINKER_JSON") ?? file.json ?? false,
    description: options.description ?? nonEmpty(env.LINKER_DESCRIPTION) ?? file.description,
    projectDir: dir,
    configPath: path,
  };
}
