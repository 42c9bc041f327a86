/**
 * Preloaded into a measured child process (`--expose-gc --import tsx --import
 * bench/memory-probe.ts`): on SIGUSR2 it runs a full garbage collection and
 * writes one `linker-bench-memory {json}` line with `process.memoryUsage()` to
 * stderr. It does nothing until signaled.
 */
import { MEMORY_PROBE_MARKER } from "./memory-probe-marker.js";

process.on("SIGUSR2", () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  process.stderr.write(`${MEMORY_PROBE_MARKER} ${JSON.stringify({ ...process.memoryUsage(), gc: collect !== undefined })}\n`);
});
