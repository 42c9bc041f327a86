import { join } from "node:path";
import { FileSessionStore, type SessionRecord, type SessionStore } from "@linker/client";
import { TokenSessionStore } from "../token-session-store.js";

/**
 * The session store of `linker watch`: the name's token is the one the MCP
 * server and the hooks of the same name share (`$LINKER_HOME/sessions`, a
 * token proposed there before anyone registers), while the stream cursor is
 * the watch's own (`$LINKER_HOME/watch`). So a monitor that dies resumes
 * where it stopped announcing, and never moves the MCP server's cursor.
 */
export class WatchSessionStore implements SessionStore {
  private readonly tokens: TokenSessionStore;
  private readonly cursors: FileSessionStore;

  constructor(home: string) {
    this.tokens = new TokenSessionStore(join(home, "sessions"));
    this.cursors = new FileSessionStore(join(home, "watch"));
  }

  async load(hub: string, name: string): Promise<SessionRecord | undefined> {
    const shared = await this.tokens.load(hub, name);
    if (!shared) return undefined;
    const own = await this.cursors.load(hub, name);
    // A cursor kept under another token belongs to a session that ended: start from the unread ones.
    return { ...shared, cursor: own?.token === shared.token ? own.cursor : undefined };
  }

  async save(record: SessionRecord): Promise<void> {
    await this.tokens.save(record);
    await this.cursors.save(record);
  }

  propose(hub: string, name: string, token: string): Promise<SessionRecord> {
    return this.tokens.propose(hub, name, token);
  }

  async delete(hub: string, name: string): Promise<void> {
    await this.cursors.delete(hub, name);
  }

  describe(hub: string, name: string): string {
    return this.tokens.describe(hub, name);
  }
}
