import { lstat, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";

/**
 * The Claude Code session a bridge serves, as its own record in
 * `~/.claude/sessions/<pid>.json` describes it (Claude Code's internal
 * cross-session messaging, 2.1.224 and later).
 */
export interface ClaudeSession {
  /** The Claude Code process. */
  pid: number;
  /** Its session id. */
  sessionId: string;
  /** The folder it runs in. */
  cwd: string;
  /** Claude Code's version. */
  version: string;
  /** The peer protocol it speaks. */
  peerProtocol: number;
  /** Which machine and pid namespace its pids belong to. */
  pidDomain: string;
  /** The Unix socket it reads messages from. */
  socketPath: string;
  /** The folder of session records. */
  sessionsDir: string;
}

/** Peer protocols the bridge speaks. */
export const KNOWN_PEER_PROTOCOLS: readonly number[] = [1];

/** The first Claude Code with cross-session messaging. */
export const MIN_CLAUDE_CODE = [2, 1, 224] as const;

/** Largest session record read. */
const MAX_RECORD_BYTES = 64 * 1024;

/** Why the bridge stays off, in words for the user. */
export class BridgeOff extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "BridgeOff";
  }
}

/** The folder of Claude Code's session records ($CLAUDE_CONFIG_DIR, else ~/.claude). */
export function sessionsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CLAUDE_CONFIG_DIR && isAbsolute(env.CLAUDE_CONFIG_DIR) ? env.CLAUDE_CONFIG_DIR : join(homedir(), ".claude"), "sessions");
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), the start token Claude Code checks records against. */
export async function procStart(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** The parent pid of `pid` (field 4 of /proc/<pid>/stat). */
async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(parent) ? parent : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is this process's parent, grandparent, …: the bridge serves only the session that started it. */
async function isAncestor(pid: number): Promise<boolean> {
  for (let current: number | undefined = process.ppid, hops = 0; current !== undefined && current > 1 && hops < 32; hops++) {
    if (current === pid) return true;
    current = await parentOf(current);
  }
  return false;
}

/** Checks that `path` is this user's own (not a link, owned by us, not writable by others) and of the wanted type. */
export async function ownedByMe(path: string, type: "file" | "directory" | "socket"): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) throw new BridgeOff(`${path} does not exist`);
  const right = type === "file" ? info.isFile() : type === "directory" ? info.isDirectory() : info.isSocket();
  if (!right) throw new BridgeOff(`${path} is not a ${type}${info.isSymbolicLink() ? " (a symbolic link)" : ""}`);
  if (info.uid !== process.getuid!()) throw new BridgeOff(`${path} belongs to another user`);
  if ((info.mode & 0o022) !== 0) throw new BridgeOff(`${path} is writable by other users`);
}

/** "2.1.332" → [2, 1, 332], or undefined. */
function versionParts(version: unknown): number[] | undefined {
  if (typeof version !== "string") return undefined;
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? match.slice(1).map(Number) : undefined;
}

/** Why a session of this version and protocol cannot be bridged, or undefined when it can. */
export function incompatibility(version: unknown, peerProtocol: unknown): string | undefined {
  const parts = versionParts(version);
  if (!parts) return `the session record names no Claude Code version`;
  const older = parts.findIndex((part, i) => part !== MIN_CLAUDE_CODE[i]);
  if (older >= 0 && parts[older] < MIN_CLAUDE_CODE[older]) return `Claude Code ${String(version)} predates cross-session messaging (${MIN_CLAUDE_CODE.join(".")})`;
  if (typeof peerProtocol !== "number" || !KNOWN_PEER_PROTOCOLS.includes(peerProtocol)) {
    return `Claude Code ${String(version)} speaks peer protocol ${String(peerProtocol)}, and the bridge knows only ${KNOWN_PEER_PROTOCOLS.join(", ")}`;
  }
  return undefined;
}

/**
 * The session that started this process ($CLAUDE_PID, which must be an
 * ancestor), from its record, after checking everything the bridge relies
 * on: Linux, the record and its folder owned by this user and by nobody
 * else, the record naming that live process (same start token), a version
 * and peer protocol the bridge knows, and a socket of this user's in a
 * folder only this user can enter. Throws BridgeOff saying why not.
 */
export async function findClaudeSession(env: NodeJS.ProcessEnv = process.env): Promise<ClaudeSession> {
  if (process.platform !== "linux") throw new BridgeOff(`the bridge runs on Linux only (this is ${process.platform})`);
  const pid = Number(env.CLAUDE_PID);
  if (!Number.isInteger(pid) || pid <= 1) throw new BridgeOff("not started by a Claude Code session (no CLAUDE_PID)");
  if (!(await isAncestor(pid))) throw new BridgeOff(`CLAUDE_PID ${pid} is not a process this one runs under`);
  const dir = sessionsDir(env);
  await ownedByMe(dir, "directory");
  const file = join(dir, `${pid}.json`);
  await ownedByMe(file, "file");
  const text = await readFile(file, "utf8");
  if (text.length > MAX_RECORD_BYTES) throw new BridgeOff(`${file} is larger than a session record`);
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new BridgeOff(`${file} is not JSON`);
  }
  if (record.pid !== pid) throw new BridgeOff(`${file} describes another process`);
  const started = await procStart(pid);
  if (started === undefined || record.procStart !== started) throw new BridgeOff(`${file} was written by an earlier process with pid ${pid}`);
  const incompatible = incompatibility(record.version, record.peerProtocol);
  if (incompatible) throw new BridgeOff(incompatible);
  const socketPath = record.messagingSocketPath;
  if (typeof socketPath !== "string" || !isAbsolute(socketPath)) throw new BridgeOff("the session publishes no messaging socket");
  await ownedByMe(socketPath, "socket");
  const folder = await lstat(dirname(socketPath));
  if (!folder.isDirectory() || folder.uid !== process.getuid!() || (folder.mode & 0o077) !== 0) throw new BridgeOff(`${dirname(socketPath)} is open to other users`);
  if (typeof record.pidDomain !== "string" || typeof record.sessionId !== "string") throw new BridgeOff(`${file} lacks pidDomain or sessionId`);
  return {
    pid,
    sessionId: record.sessionId,
    cwd: typeof record.cwd === "string" ? record.cwd : process.cwd(),
    version: String(record.version),
    peerProtocol: record.peerProtocol as number,
    pidDomain: record.pidDomain,
    socketPath,
    sessionsDir: dir,
  };
}
