import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

/** Every tracked TypeScript source file (generated code excluded), relative to the root. */
const sources = execFileSync("git", ["ls-files", "*.ts", "*.tsx"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter((path) => path !== "" && !path.includes("/gen/") && !path.startsWith("gen/") && !path.endsWith(".d.ts"));

/** The module specifiers a file imports (static, dynamic and type-only). */
function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), "utf8");
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) specifiers.push(match[1]);
  return specifiers;
}

/** The entries workspace packages declare, as patterns (`@linker/mcp`, `@linker/mcp/peer-text`, `@linker/protocol/gen/*.js`). */
function declaredEntries(): RegExp[] {
  const entries: RegExp[] = [];
  for (const manifestPath of execFileSync("git", ["ls-files", "packages/*/package.json"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean)) {
    const manifest = JSON.parse(readFileSync(join(ROOT, manifestPath), "utf8")) as { name: string; exports?: Record<string, unknown> };
    for (const key of Object.keys(manifest.exports ?? { ".": null })) {
      const entry = key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`;
      entries.push(new RegExp(`^${entry.replace(/[.+?^${}()|[\]\\/]/g, "\\$&").replace("*", ".+")}$`));
    }
  }
  return entries;
}

/** Where a relative specifier of `path` points, relative to the root. */
function resolved(path: string, specifier: string): string {
  return relative(ROOT, join(ROOT, path, "..", specifier));
}

describe("package boundaries", () => {
  it("finds the sources it checks", () => {
    expect(sources.filter((path) => path.startsWith("packages/client/src/")).length).toBeGreaterThan(10);
    expect(sources.filter((path) => path.startsWith("packages/hub/src/")).length).toBeGreaterThan(40);
  });

  it("keeps the client library off the hub, except for the lazy hosting entry", () => {
    const offenders = sources
      .filter((path) => path.startsWith("packages/client/src/") && path !== "packages/client/src/hub-hosting.ts")
      .flatMap((path) => importsOf(path).filter((s) => s.startsWith("@linker/hub")).map((s) => `${path} imports ${s}`));
    expect(offenders).toEqual([]);
    const hosting = new Set(importsOf("packages/client/src/hub-hosting.ts").filter((s) => s.startsWith("@linker/hub")));
    expect([...hosting]).toEqual(["@linker/hub"]);
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages/client/package.json"), "utf8")) as Record<string, Record<string, unknown>>;
    expect(Object.keys(manifest.dependencies)).not.toContain("@linker/hub");
    expect(manifest.peerDependenciesMeta["@linker/hub"]).toEqual({ optional: true });
  });

  it("lets no package reach into another package's files: only the entries a package declares cross", () => {
    const entries = declaredEntries();
    const declared = (specifier: string) => entries.some((entry) => entry.test(specifier));
    expect(declared("@linker/hub") && declared("@linker/protocol/gen/linker/v1/message_pb.js") && !declared("@linker/hub/src/mailbox.js")).toBe(true);
    const offenders: string[] = [];
    for (const path of sources.filter((p) => p.startsWith("packages/"))) {
      const own = path.split("/").slice(0, 2).join("/");
      for (const specifier of importsOf(path)) {
        if (specifier.startsWith(".")) {
          const target = resolved(path, specifier);
          if (target.startsWith("packages/") && !target.startsWith(`${own}/`)) offenders.push(`${path} imports ${specifier}`);
        } else if (specifier.startsWith("@linker/") && !declared(specifier)) {
          offenders.push(`${path} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps every source file under 400 lines", () => {
    const long = sources
      .map((path) => ({ path, lines: readFileSync(join(ROOT, path), "utf8").split("\n").length }))
      .filter((file) => file.lines > 400)
      .map((file) => `${file.path}: ${file.lines} lines`);
    expect(long).toEqual([]);
  });
});
