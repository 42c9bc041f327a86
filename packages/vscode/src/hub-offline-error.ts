/** Thrown by commands when this window has no connection to a hub; the message says what to do. */
export class HubOfflineError extends Error {
  constructor(
    readonly hubUrl: string,
    readonly reason: string | undefined,
  ) {
    super(
      `Not connected to a Linker hub at ${hubUrl}${reason ? `: ${reason}` : ""}. ` +
        "Start one with `linker hub` (or let another window or Claude Code host it), check claudeTeam.hubUrls / claudeTeam.hubPort, then run “Claude Team: Reconnect to the Hub”.",
    );
    this.name = "HubOfflineError";
  }
}
