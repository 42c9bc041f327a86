import { readFileSync } from "node:fs";
import { CaseStatus, type CaseResult } from "@linker/protocol/gen/linker/conformance/v1/result_pb.js";

/**
 * Compiles a case-name pattern: `*` matches within one path segment, `**`
 * across segments, `?` one character; anything else matches itself.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Reads a known-failing list: one pattern per line; `#` starts a comment. */
export function readKnownFailing(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

/** What applying a known-failing list decided. */
export interface KnownFailingVerdict {
  /** The results with listed failures marked KNOWN_FAILING and listed passes UNEXPECTED_PASS. */
  results: CaseResult[];
  /** Patterns that match no case of the suite (typos or stale entries). */
  unmatchedPatterns: string[];
}

/**
 * Applies a known-failing list. A listed case that fails is expected; a listed
 * case that passes must come off the list, so it fails the run; a pattern
 * that matches no case in the whole suite fails the run too. The list can
 * therefore only shrink.
 */
export function applyKnownFailing(results: CaseResult[], patterns: string[], allCaseNames: string[]): KnownFailingVerdict {
  const compiled = patterns.map((pattern) => ({ pattern, re: globToRegExp(pattern) }));
  const listed = (name: string) => compiled.some(({ re }) => re.test(name));
  const unmatchedPatterns = compiled.filter(({ re }) => !allCaseNames.some((name) => re.test(name))).map(({ pattern }) => pattern);
  for (const result of results) {
    if (!listed(result.name)) continue;
    if (result.status === CaseStatus.FAILED) result.status = CaseStatus.KNOWN_FAILING;
    else if (result.status === CaseStatus.PASSED) result.status = CaseStatus.UNEXPECTED_PASS;
  }
  return { results, unmatchedPatterns };
}
