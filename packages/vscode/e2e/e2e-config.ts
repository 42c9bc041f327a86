/** What the end-to-end driver tells the suite running in VS Code's extension host (through E2E_CONFIG). */
export interface E2eConfig {
  /** The peer's instance name. */
  peer: string;
  /** An instance that is registered but offline. */
  offlineInstance: string;
  /** The name the VS Code window registers under. */
  windowName: string;
  /** Folder for the suite's requests to the driver (screenshot, UI steps) and the driver's answers. */
  signalDir: string;
  /** The workspace's package version (what the auto-responder must report). */
  workspaceVersion: string;
  /** The workspace's git branch. */
  gitBranch: string;
  /** The name the second VS Code window registers under (its folder's `<project>-vscode`). */
  secondWindow: string;
  /** The name the `linker` CLI agent acts as. */
  cliAgent: string;
}

/** Name of the environment variable holding the config file's path. */
export const E2E_CONFIG_ENV = "LINKER_E2E_CONFIG";

/** Requests the suite sends the driver. */
export type DriverRequest =
  /** Take the sidebar screenshot now. */
  | { kind: "screenshot" }
  /** Complete a task through the Tasks view in the browser (hover, inline action, input box). */
  | { kind: "complete-task"; title: string; result: string }
  /** Open a second VS Code window (another folder) and wait until it is connected as a client. */
  | { kind: "second-window" }
  /** Run the `linker` CLI as an agent: a message, a memory key and a task for this window. */
  | { kind: "cli-agent" }
  /** Record every message, task and memory key on the hub, to compare after the hand-over. */
  | { kind: "snapshot" };
