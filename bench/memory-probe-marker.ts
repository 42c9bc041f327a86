/** Prefix of the stderr line the memory probe writes. */
export const MEMORY_PROBE_MARKER = "linker-bench-memory";
