/** Text requests the VS Code window sends the peer, and what the peer then does. */
export const PEER_REQUESTS = {
  /** The peer sends a direct message back. */
  messageMe: "please message me",
  /** The peer assigns the sender a task. */
  assignMeATask: "please assign me a task",
  /** The peer asks the sender (answered by its auto-responder's heuristics) and reports the answer. */
  askMyVersion: "please ask me my version",
  /** The peer asks the sender something only the claude CLI answers, and reports the answer. */
  askClaude: "please ask me something for claude",
  /** The peer overwrites a memory key, to make the window's compare-and-set lose. */
  changeMemory: "please change memory",
} as const;

/** The peer's direct message after a PEER_REQUESTS.messageMe. */
export const PEER_GREETING = "Hello from the peer";
/** The title of the task the peer assigns. */
export const PEER_TASK_TITLE = "Write the release notes";
/** The question the peer asks the claude CLI path. */
export const PEER_CLAUDE_QUESTION = "Summarize the design of the billing module";
