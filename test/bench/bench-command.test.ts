import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { BenchResults } from "../../bench/bench-report.js";
import { tempDir } from "../support/temp-dir.js";

const ROOT = join(import.meta.dirname, "../..");

describe("npm run bench", () => {
  it("runs a scenario, prints its table and writes every figure with its baseline to --json", { timeout: 120_000 }, async () => {
    const json = join(tempDir(), "results.json");
    const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "bench", "--", "--only", "startup", "--json", json], { cwd: ROOT, env: process.env });
    expect(stdout).toMatch(/^figure\s+Linker\s+raw baseline\s+ratio/m);
    const results = JSON.parse(readFileSync(json, "utf8")) as BenchResults;
    expect(results.figures.length).toBeGreaterThanOrEqual(3);
    for (const figure of results.figures) {
      expect(Number.isFinite(figure.linker) && figure.linker > 0, figure.id).toBe(true);
      expect(Number.isFinite(figure.baseline) && figure.baseline > 0, figure.id).toBe(true);
      expect(figure.ratio).toBeCloseTo(figure.linker / figure.baseline);
      expect(figure.details?.errors ?? 0, figure.id).toBe(0);
    }
  });
});
