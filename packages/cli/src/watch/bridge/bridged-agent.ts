import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ClaudeSession, procStart } from "./claude-session.js";
import { type PeerLine, PeerSocket } from "./peer-socket.js";

/**
 * One Linker agent shown in the session's ListAgents: a session record of
 * its own in `~/.claude/sessions`, naming a small holder process (Claude
 * Code lists a record only while its pid lives with the same start token;
 * the holder reads its stdin from this process and ends when this process
 * does) and a socket of the bridge's where SendMessage writes to it.
 */
export class BridgedAgent {
  private constructor(
    /** The agent's Linker name (also its name in ListAgents). */
    readonly name: string,
    /** Where SendMessage writes to it. */
    readonly socket: PeerSocket,
    private readonly holder: ChildProcess,
    private readonly recordFile: string,
  ) {}

  /** The address a message from this agent carries (`from`), so a reply with SendMessage comes back here. */
  get address(): string {
    return `uds:${this.socket.path}`;
  }

  /** Publishes `name` for `session`: socket in `dir`, holder process, record. */
  static async publish(session: ClaudeSession, dir: string, name: string, onLine: (line: PeerLine) => void): Promise<BridgedAgent> {
    const socket = await PeerSocket.open(join(dir, `${randomBytes(6).toString("hex")}.sock`), onLine);
    const holder = spawn("sh", ["-c", "read _"], { stdio: ["pipe", "ignore", "ignore"] });
    holder.on("error", () => undefined);
    holder.stdin!.on("error", () => undefined);
    try {
      const pid = holder.pid;
      const started = pid === undefined ? undefined : await procStart(pid);
      if (pid === undefined || started === undefined) throw new Error("the holder process did not start");
      const now = Date.now();
      const record = {
        pid,
        sessionId: randomUUID(),
        cwd: session.cwd,
        startedAt: now,
        procStart: started,
        version: session.version,
        peerProtocol: session.peerProtocol,
        peerFeatures: [],
        kind: "interactive",
        entrypoint: "linker-bridge",
        pidDomain: session.pidDomain,
        messagingSocketPath: socket.path,
        name,
        nameSource: "user",
        nameSince: now,
        status: "idle",
        updatedAt: now,
        statusUpdatedAt: now,
      };
      const file = join(session.sessionsDir, `${pid}.json`);
      const temporary = `${file}.${randomBytes(4).toString("hex")}.tmp`;
      await writeFile(temporary, JSON.stringify(record), { mode: 0o600 });
      await rename(temporary, file);
      return new BridgedAgent(name, socket, holder, file);
    } catch (err) {
      holder.kill();
      await socket.close();
      throw err;
    }
  }

  /** Takes the agent out of ListAgents: record, holder and socket. */
  async withdraw(): Promise<void> {
    await rm(this.recordFile, { force: true });
    this.holder.kill();
    await this.socket.close();
  }
}
