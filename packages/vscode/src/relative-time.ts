/** "just now", "5 min ago", "3 h ago", "2 d ago" for a time in ms before `now`. */
export function relativeTime(ms: number, now = Date.now()): string {
  if (ms <= 0) return "";
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}
