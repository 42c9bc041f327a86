import { newSessionToken } from "@linker/protocol";
import { FileSessionStore, type SessionRecord, type SessionStore } from "@linker/client";

/**
 * The file session store of `$LINKER_HOME/sessions`, with two changes for
 * short-lived processes. The stream cursor on disk is never moved: the CLI
 * shares the name's session token with the MCP server or hook of the same
 * name, but a one-shot command or `tail` must not make that long-lived client
 * skip events. And when no session is stored yet, one token is proposed and
 * written atomically before anyone registers, so processes that start
 * together under a new name all present the same token instead of racing for
 * the name.
 */
export class TokenSessionStore implements SessionStore {
  private readonly files: FileSessionStore;

  constructor(readonly dir: string) {
    this.files = new FileSessionStore(dir);
  }

  async load(hub: string, name: string): Promise<SessionRecord | undefined> {
    const record = (await this.files.load(hub, name)) ?? (await this.files.propose(hub, name, newSessionToken()));
    return record ? { hub: record.hub, name: record.name, token: record.token } : undefined;
  }

  /** The stored session, without proposing one. */
  stored(hub: string, name: string): Promise<SessionRecord | undefined> {
    return this.files.load(hub, name);
  }

  async save(record: SessionRecord): Promise<void> {
    const stored = await this.files.load(record.hub, record.name);
    if (stored?.token === record.token) return;
    await this.files.save({ hub: record.hub, name: record.name, token: record.token, cursor: stored?.cursor });
  }

  async propose(hub: string, name: string, token: string): Promise<SessionRecord> {
    return this.files.propose(hub, name, token);
  }

  async delete(hub: string, name: string): Promise<void> {
    await this.files.delete(hub, name);
  }

  describe(hub: string, name: string): string {
    return this.files.describe(hub, name);
  }
}
