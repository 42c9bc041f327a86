import { rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";

/** A message Claude Code's SendMessage wrote to a bridged agent's socket. */
export interface PeerLine {
  /** The sender's address (`uds:<its socket>`). */
  from: string;
  /** Claude Code's id of the message. */
  msgId: string;
  /** The text, without Claude Code's `<cross-session-message>` wrapper. */
  text: string;
  /** The sender's session name, from the wrapper. */
  fromName: string;
}

/** Longest line accepted (Claude Code caps a peer message well below this). */
const MAX_LINE_BYTES = 512 * 1024;

/** A connection that sends no full line within this long is closed (as Claude Code does). */
const FIRST_LINE_MS = 30_000;

/** Connections served at once per socket. */
const MAX_CONNECTIONS = 16;

/** Claude Code's wrapper around what SendMessage sends. */
const WRAPPER = /^<cross-session-message from="([^"]*)" from-name="([^"]*)"[^>]*>\n([^]*)\n<\/cross-session-message>$/;

/** Undoes the XML escaping of an attribute. */
function unescapeAttribute(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The message a line carries, when it is one SendMessage writes; anything else (auth, controls, junk) is undefined. */
export function parsePeerLine(line: string): PeerLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { type, message, from, msg_id: msgId } = value as Record<string, unknown>;
  if (type !== "user" || typeof from !== "string" || typeof message !== "object" || message === null) return undefined;
  const content = (message as { content?: unknown }).content;
  if (typeof content !== "string") return undefined;
  const wrapped = WRAPPER.exec(content);
  return {
    from,
    msgId: typeof msgId === "string" ? msgId : "",
    text: wrapped ? wrapped[3] : content,
    fromName: wrapped ? unescapeAttribute(wrapped[2]) : "",
  };
}

/**
 * The Unix socket of one bridged agent: reads the JSON lines Claude Code's
 * SendMessage writes (bounded in size, time and connections) and hands each
 * message on. It lives in the bridge's private folder (mode 0700), so only
 * this user's processes can connect.
 */
export class PeerSocket {
  private readonly server: Server;
  private readonly connections = new Set<Socket>();

  private constructor(
    /** The socket's path. */
    readonly path: string,
    onLine: (line: PeerLine) => void,
  ) {
    this.server = createServer((socket) => {
      if (this.connections.size >= MAX_CONNECTIONS) {
        socket.destroy();
        return;
      }
      this.connections.add(socket);
      socket.once("close", () => this.connections.delete(socket));
      socket.setEncoding("utf8");
      socket.setTimeout(FIRST_LINE_MS, () => socket.destroy());
      let buffer = "";
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        if (Buffer.byteLength(buffer) > MAX_LINE_BYTES && !buffer.includes("\n")) {
          socket.destroy();
          return;
        }
        for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          socket.setTimeout(FIRST_LINE_MS);
          const parsed = line.length <= MAX_LINE_BYTES ? parsePeerLine(line) : undefined;
          if (parsed) onLine(parsed);
        }
      });
      socket.on("error", () => socket.destroy());
    });
  }

  /** Listens at `path` (a stale socket file there is replaced). */
  static async open(path: string, onLine: (line: PeerLine) => void): Promise<PeerSocket> {
    await rm(path, { force: true });
    const socket = new PeerSocket(path, onLine);
    await new Promise<void>((resolve, reject) => {
      socket.server.once("error", reject);
      socket.server.listen(path, () => {
        socket.server.off("error", reject);
        resolve();
      });
    });
    return socket;
  }

  /** Stops listening and removes the socket file. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.path, { force: true });
  }
}
