import { createConnection } from "node:net";
import { ownedByMe } from "./claude-session.js";

/** Longest wait for the session's socket to take a message. */
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * Writes one cross-session message into a Claude Code session's socket, as
 * another session would: an idle session wakes with it. The socket is
 * checked first (a socket of this user's, not a link), since its path comes
 * from a file.
 */
export async function deliverToSession(socketPath: string, message: { text: string; from: string; msgId: string }): Promise<void> {
  await ownedByMe(socketPath, "socket");
  const line = `${JSON.stringify({ type: "user", message: { role: "user", content: message.text }, from: message.from, msg_id: message.msgId })}\n`;
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    socket.setTimeout(DELIVERY_TIMEOUT_MS, () => socket.destroy(new Error(`the session's socket ${socketPath} took no message within ${DELIVERY_TIMEOUT_MS} ms`)));
    socket.once("error", reject);
    socket.once("connect", () => socket.end(line));
    socket.once("close", (failed) => (failed ? undefined : resolve()));
  });
}
