/** What the overseer chose in this browser, kept in localStorage. */
export interface DashboardSettings {
  /** The instance name the human registers as. */
  name: string;
  /**
   * A credential for hubs that need one (today the hub secret; an observer or
   * admin key once the hub issues them). Sent as `Authorization: Bearer` on
   * Register and the observer RPCs; empty on a loopback hub without credentials.
   */
  accessKey: string;
}

const KEY = "linker.dashboard.settings";

/** The stored settings, or the defaults (name "overseer", no key). A `?name=` in the URL wins. */
export function loadSettings(): DashboardSettings {
  let stored: Partial<DashboardSettings> = {};
  try {
    stored = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<DashboardSettings>;
  } catch {
    stored = {};
  }
  const fromUrl = new URLSearchParams(location.search).get("name");
  return { name: fromUrl || stored.name || "overseer", accessKey: stored.accessKey ?? "" };
}

/** Stores the settings. */
export function saveSettings(settings: DashboardSettings): void {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

/**
 * The session token this browser holds for `name`, made up front so a
 * Register whose reply was lost can be retried, and reused to reclaim the
 * name after a reload.
 */
export function resumeToken(name: string): string {
  const key = `linker.dashboard.token.${name}`;
  let token = localStorage.getItem(key);
  if (!token) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const base64 = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    token = `lk_${base64}`;
    localStorage.setItem(key, token);
  }
  return token;
}

/** Forgets the token of `name` (it belongs to another session). */
export function forgetToken(name: string): void {
  localStorage.removeItem(`linker.dashboard.token.${name}`);
}
