import { writeFileSync } from "node:fs";
import os from "node:os";

/**
 * What a figure must reach: a minimum ratio to the raw baseline, a maximum
 * ratio to it (costs), a minimum ratio to the peer system, or a maximum
 * absolute value.
 */
export type FigureTarget =
  | { kind: "min-ratio"; value: number }
  | { kind: "max-ratio"; value: number }
  | { kind: "min-peer-ratio"; value: number }
  | { kind: "max-value"; value: number };

/** The same workload measured on a system users compare Linker with, in the same run. */
export interface PeerValue {
  /** Which system ("NATS JetStream"). */
  name: string;
  /** Its value, in the figure's unit. */
  value: number;
}

/** One measured figure beside its raw baseline from the same run. */
export interface Figure {
  /** Stable id for scripts, e.g. `send.sequential.connect-es`. */
  id: string;
  /** What was measured, for people. */
  name: string;
  /** Unit of `linker` and `baseline`. */
  unit: string;
  /** The Linker hub's value. */
  linker: number;
  /** The raw node:http2 baseline's value. */
  baseline: number;
  /** linker ÷ baseline. */
  ratio: number;
  /** The peer system's value, when the run measured peers. */
  peer?: PeerValue;
  /** linker ÷ peer value. */
  peerRatio?: number;
  /** The target, when this figure has one. */
  target?: FigureTarget;
  /** Whether the target is met (absent without a target). */
  met?: boolean;
  /** Anything else worth keeping: errors, sample counts, secondary percentiles. */
  details?: Record<string, unknown>;
}

/** A figure, with its ratio and target verdict computed. */
export function figure(fields: Omit<Figure, "ratio" | "met" | "peerRatio">): Figure {
  const ratio = fields.linker / fields.baseline;
  const peerRatio = fields.peer ? fields.linker / fields.peer.value : undefined;
  const target = fields.target;
  let met: boolean | undefined;
  if (target?.kind === "min-ratio") met = ratio >= target.value;
  if (target?.kind === "max-ratio") met = ratio <= target.value;
  if (target?.kind === "min-peer-ratio") met = peerRatio === undefined ? undefined : peerRatio >= target.value;
  if (target?.kind === "max-value") met = fields.linker < target.value;
  if (met !== undefined && Number(fields.details?.errors ?? 0) > 0) met = false;
  return { ...fields, ratio, peerRatio, met };
}

/** Everything one bench run produced. */
export interface BenchResults {
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** Seconds the run took. */
  seconds: number;
  /** Machine and runtime. */
  environment: { node: string; cpus: number; cpuModel: string; platform: string; totalMemoryMb: number };
  /** 1-minute load average when the run started and when it ended (other work on the machine skews every figure). */
  loadAverage: { atStart: number; atEnd: number };
  /** The figures, in report order. */
  figures: Figure[];
  /** Setup facts worth knowing next to the numbers. */
  notes: string[];
}

/** The machine and runtime the bench runs on. */
export function describeEnvironment(): BenchResults["environment"] {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
  };
}

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit === "ms") return `${value.toFixed(2)} ms`;
  if (unit === "KiB") return `${value.toFixed(1)} KiB`;
  if (unit === "µs") return `${Math.round(value).toLocaleString("en-US")} µs`;
  return `${Math.round(value).toLocaleString("en-US")} ${unit}`;
}

function formatTarget(target: FigureTarget | undefined, unit: string): string {
  if (!target) return "—";
  switch (target.kind) {
    case "min-ratio":
      return `ratio ≥ ${target.value.toFixed(2)}`;
    case "max-ratio":
      return `ratio ≤ ${target.value.toFixed(2)}`;
    case "min-peer-ratio":
      return `vs peer ≥ ${target.value.toFixed(2)}`;
    case "max-value":
      return `< ${formatValue(target.value, unit)}`;
  }
}

function formatVerdict(figure: Figure): string {
  if (figure.met === undefined) return "";
  return figure.met ? "yes" : "NO";
}

/** The machine's 1-minute load average. */
export function loadAverage(): number {
  return Number(os.loadavg()[0].toFixed(2));
}

/** Renders the figures as a plain-text table (with peer columns when any figure has a peer). */
export function renderTable(figures: readonly Figure[]): string {
  const peers = figures.some((f) => f.peer);
  const times = (ratio: number | undefined) => (ratio !== undefined && Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a");
  const header = ["figure", "Linker", "raw baseline", "ratio", ...(peers ? ["peer", "vs peer"] : []), "target", "met?"];
  const rows = figures.map((f) => [
    f.name,
    formatValue(f.linker, f.unit),
    formatValue(f.baseline, f.unit),
    times(f.ratio),
    ...(peers ? [f.peer ? `${formatValue(f.peer.value, f.unit)} (${f.peer.name})` : "—", f.peer ? times(f.peerRatio) : "—"] : []),
    formatTarget(f.target, f.unit),
    formatVerdict(f),
  ]);
  const textColumns = new Set([0, header.length - 2, header.length - 1]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (textColumns.has(column) ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ").trimEnd();
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** Writes the results as JSON to `path`. */
export function writeResultsJson(path: string, results: BenchResults): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
