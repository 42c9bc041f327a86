import { readFileSync } from "node:fs";

/** The version in the CLI's package.json, found above this module (a source file or a bundle chunk). */
export function packageVersion(): string {
  for (let dir = new URL(".", import.meta.url); ; ) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@linker/cli") return pkg.version ?? "0.0.0";
    } catch {
      // no package.json here: look further up
    }
    const parent = new URL("..", dir);
    if (parent.href === dir.href) return "0.0.0";
    dir = parent;
  }
}
