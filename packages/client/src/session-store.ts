import { createHash, randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a client keeps between runs to reclaim its name and resume its stream. */
export interface SessionRecord {
  /** Which hub state the session belongs to (see `hubKeyFor`). */
  hub: string;
  /** Registered name. */
  name: string;
  /** Session token; it reclaims the name as Register's resume_token. */
  token: string;
  /** Seq of the last event handed to the application, as a decimal string. */
  cursor?: string;
  /** When the record was written (ISO 8601). */
  savedAt?: string;
}

/** Where sessions are kept; `load` returns undefined when there is none. */
export interface SessionStore {
  /** The record of `name` on `hub`, if any. */
  load(hub: string, name: string): Promise<SessionRecord | undefined>;
  /** Creates or replaces the record. */
  save(record: SessionRecord): Promise<void>;
  /**
   * Stores `token` for `name` unless a record exists already, atomically, and
   * returns whichever record is stored: processes that start together under a
   * new name end up presenting the same token.
   */
  propose(hub: string, name: string, token: string): Promise<SessionRecord>;
  /** Deletes the record (after Unregister). */
  delete(hub: string, name: string): Promise<void>;
  /** Where the record lives, for error messages. */
  describe(hub: string, name: string): string;
}

/**
 * Keeps one small JSON file per (hub, name) under `dir` (programs use
 * `<LINKER_HOME>/sessions`), readable only by the user (mode 0600, folder
 * 0700). Writes go to a temporary file that is renamed over the old one, so a
 * crash never leaves a half-written session.
 */
export class FileSessionStore implements SessionStore {
  constructor(readonly dir: string) {}

  /** File holding the session of `name` on `hub`. */
  path(hub: string, name: string): string {
    const digest = createHash("sha256").update(`${hub}\n${name}`).digest("hex").slice(0, 16);
    return join(this.dir, `${name}-${digest}.json`);
  }

  describe(hub: string, name: string): string {
    return this.path(hub, name);
  }

  async load(hub: string, name: string): Promise<SessionRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(hub, name), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    const record = parseRecord(text);
    return record && record.hub === hub && record.name === name ? record : undefined;
  }

  async save(record: SessionRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.path(record.hub, record.name);
    const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
    const body = `${JSON.stringify({ version: 1, ...record, savedAt: new Date().toISOString() }, null, 2)}\n`;
    try {
      await writeFile(temporary, body, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, target);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }

  async propose(hub: string, name: string, token: string): Promise<SessionRecord> {
    const target = this.path(hub, name);
    const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
    const body = `${JSON.stringify({ version: 1, hub, name, token, savedAt: new Date().toISOString() }, null, 2)}\n`;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(temporary, body, { mode: 0o600 });
      await link(temporary, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      await rm(temporary, { force: true });
    }
    const stored = await this.load(hub, name);
    if (!stored) throw new Error(`the session file ${target} is unreadable; delete it to start a new session`);
    return stored;
  }

  async delete(hub: string, name: string): Promise<void> {
    await rm(this.path(hub, name), { force: true });
  }
}

/** Keeps sessions in this process only (tests, or callers that store tokens themselves). */
export class MemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>();

  async load(hub: string, name: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(`${hub}\n${name}`);
    return record ? { ...record } : undefined;
  }

  async save(record: SessionRecord): Promise<void> {
    this.records.set(`${record.hub}\n${record.name}`, { ...record });
  }

  async propose(hub: string, name: string, token: string): Promise<SessionRecord> {
    const key = `${hub}\n${name}`;
    if (!this.records.has(key)) this.records.set(key, { hub, name, token });
    return { ...this.records.get(key)! };
  }

  async delete(hub: string, name: string): Promise<void> {
    this.records.delete(`${hub}\n${name}`);
  }

  describe(hub: string, name: string): string {
    return `the in-memory session of "${name}" on ${hub}`;
  }
}

function parseRecord(text: string): SessionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { hub, name, token, cursor } = value as Record<string, unknown>;
  if (typeof hub !== "string" || typeof name !== "string" || typeof token !== "string" || token === "") return undefined;
  return { hub, name, token, cursor: typeof cursor === "string" && /^[0-9]+$/.test(cursor) ? cursor : undefined };
}
