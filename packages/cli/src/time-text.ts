import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

const UNITS: [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** Milliseconds in a duration such as "500ms", "30s", "5m", "2h" or "1d"; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  const ms = unit === "ms" ? value : value * UNITS.find(([name]) => name === unit)![1];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A point in time from a duration before `now` ("10m") or an ISO 8601 date. */
export function parseSince(text: string, now = Date.now()): Date | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now - duration);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Short age of a timestamp: "now", "42s", "5m", "3h", "2d". */
export function age(at: Timestamp | Date | undefined, now = Date.now()): string {
  if (!at) return "-";
  const ms = now - (at instanceof Date ? at : timestampDate(at)).getTime();
  if (ms < 1_000) return "now";
  for (const [unit, size] of UNITS) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return "now";
}

/** Local wall-clock time of a timestamp, HH:MM:SS. */
export function clock(at: Timestamp | undefined): string {
  if (!at) return "--:--:--";
  return timestampDate(at).toTimeString().slice(0, 8);
}

/** "now" or "5m ago". */
export function ago(at: Timestamp | Date | undefined, now = Date.now()): string {
  const text = age(at, now);
  return text === "now" || text === "-" ? text : `${text} ago`;
}
