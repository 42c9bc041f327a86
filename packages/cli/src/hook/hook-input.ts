/** What a hook needs from the JSON Claude Code writes to its stdin. */
export interface HookInput {
  /** hook_event_name. */
  event?: string;
  /** stop_hook_active: the session already continues because a Stop hook blocked. */
  stopHookActive: boolean;
  /** session_id of the Claude Code session. */
  sessionId?: string;
}

/** Reads the fields a hook uses; anything else, or input that is not JSON, is ignored. */
export function parseHookInput(input: string | undefined): HookInput {
  if (!input || input.trim() === "") return { stopHookActive: false };
  try {
    const value = JSON.parse(input) as { hook_event_name?: unknown; stop_hook_active?: unknown; session_id?: unknown };
    return {
      event: typeof value.hook_event_name === "string" ? value.hook_event_name : undefined,
      stopHookActive: value.stop_hook_active === true,
      sessionId: typeof value.session_id === "string" ? value.session_id : undefined,
    };
  } catch {
    return { stopHookActive: false };
  }
}
