import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";

/** Lower-case name of a generated enum value ("IN_PROGRESS" → "in progress"). */
export function enumText(values: Record<string, string | number>, value: number): string {
  const name = values[value];
  return typeof name === "string" ? name.toLowerCase().replace(/_/g, " ") : String(value);
}

/** Wall-clock time of a timestamp, "14:03:22". */
export function clock(at: Timestamp | undefined): string {
  if (!at) return "";
  return new Date(timestampMs(at)).toLocaleTimeString([], { hour12: false });
}

/** How long ago, "12s ago", "4m ago", "3h ago". */
export function ago(at: Timestamp | undefined, now = Date.now()): string {
  if (!at) return "never";
  const s = Math.max(0, Math.round((now - timestampMs(at)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Up to `max` characters of `text` on one line. */
export function excerpt(text: string, max = 140): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
