/** Longest instance name the hub accepts. */
const MAX_NAME_LENGTH = 64;

/**
 * Turns any text into a valid instance name (letters, digits, '.', '_' and
 * '-', starting with a letter or digit, at most 64 characters); empty when
 * nothing usable is left.
 */
export function sanitizeInstanceName(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/-{2,}/g, "-")
    .slice(0, MAX_NAME_LENGTH)
    .replace(/[-.]+$/, "");
}

/**
 * The names this window tries, in order: the configured window name, else
 * `<project>-vscode` (so it does not take the name a Claude Code session of the
 * same folder uses); then the same with `-2` … `-<attempts>` for when another
 * instance holds the name.
 */
export function instanceNameCandidates(windowName: string, project: string | undefined, attempts = 5): string[] {
  const base = sanitizeInstanceName(windowName) || `${sanitizeInstanceName(project ?? "") || "window"}-vscode`.slice(0, MAX_NAME_LENGTH);
  const names = [base];
  for (let n = 2; n <= attempts; n++) {
    const suffix = `-${n}`;
    names.push(`${base.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`);
  }
  return names;
}
