import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { Protocol } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";

/** A program the runner tests. */
export interface Implementation {
  /** Short name, used by --impl and in reports. */
  name: string;
  /** "client": a client under test against the reference hub; "server": a hub under test driven by the reference client. */
  mode: "client" | "server";
  /** Executable and arguments, relative to the repository root. */
  command: string[];
  /** Command that builds the program before a run (for compiled clients); must be quick when nothing changed. */
  build: string[] | undefined;
  /** Extra environment variables. */
  env: Record<string, string>;
  /** Protocol the client speaks (client mode) or the reference client uses (server mode). */
  protocol: Protocol;
  /** Known-failing list, relative to the repository root. */
  knownFailing: string | undefined;
}

/** The implementations file: the reference hub and every implementation. */
export interface ImplementationsFile {
  /** Command of the reference hub used in client mode (speaks the ServerCompat protocol). */
  referenceHub: string[];
  /** The implementations. */
  implementations: Implementation[];
}

/** Expands `${NAME}` and `${NAME:-default}` from the environment. */
function expand(text: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    const value = process.env[name];
    return value !== undefined && value !== "" ? value : (fallback ?? "");
  });
}

function commandOf(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((part) => typeof part === "string")) {
    throw new Error(`${where}: command must be a non-empty list of strings`);
  }
  return value.map(expand);
}

/** Reads `conformance/implementations.yaml`. */
export function loadImplementations(path: string): ImplementationsFile {
  const raw = parse(readFileSync(path, "utf8")) as {
    reference_hub?: { command?: unknown };
    implementations?: Record<string, unknown>[];
  };
  const referenceHub = commandOf(raw.reference_hub?.command, `${path}: reference_hub`);
  const implementations = (raw.implementations ?? []).map((entry, i): Implementation => {
    const where = `${path}: implementations[${i}]`;
    const name = String(entry.name ?? "");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`${where}: name must be lower-case kebab-case`);
    if (entry.mode !== "client" && entry.mode !== "server") throw new Error(`${where}: mode must be client or server`);
    const protocol = Protocol[String(entry.protocol ?? "PROTOCOL_UNSPECIFIED").replace(/^PROTOCOL_/, "") as keyof typeof Protocol];
    if (protocol === undefined) throw new Error(`${where}: unknown protocol ${String(entry.protocol)}`);
    const env = Object.fromEntries(Object.entries((entry.env ?? {}) as Record<string, string>).map(([k, v]) => [k, expand(String(v))]));
    return {
      name,
      mode: entry.mode,
      command: commandOf(entry.command, where),
      build: entry.build === undefined ? undefined : commandOf(entry.build, `${where}: build`),
      env,
      protocol,
      knownFailing: entry.known_failing === undefined ? undefined : String(entry.known_failing),
    };
  });
  return { referenceHub, implementations };
}
