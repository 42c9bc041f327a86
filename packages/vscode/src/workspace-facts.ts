import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** The project's name, version and dependency versions from its package.json. */
export interface PackageFacts {
  name: string | undefined;
  version: string | undefined;
  dependencies: Record<string, string>;
}

/** Reads `<root>/package.json`; undefined when there is none or it is not JSON. */
export async function readPackageFacts(root: string): Promise<PackageFacts | undefined> {
  let manifest: { name?: unknown; version?: unknown; dependencies?: unknown; devDependencies?: unknown; peerDependencies?: unknown };
  try {
    manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as typeof manifest;
  } catch {
    return undefined;
  }
  const dependencies: Record<string, string> = {};
  for (const group of [manifest.peerDependencies, manifest.devDependencies, manifest.dependencies]) {
    if (group && typeof group === "object") {
      for (const [name, range] of Object.entries(group)) if (typeof range === "string") dependencies[name] = range;
    }
  }
  return {
    name: typeof manifest.name === "string" ? manifest.name : undefined,
    version: typeof manifest.version === "string" ? manifest.version : undefined,
    dependencies,
  };
}

/** An exported TypeScript declaration found in the workspace. */
export interface TypeDeclaration {
  /** Declared name. */
  name: string;
  /** interface, type, enum or class. */
  kind: string;
  /** Workspace-relative file. */
  file: string;
  /** 1-based line. */
  line: number;
  /** The declaration's text (cut after 40 lines). */
  text: string;
}

/** Limits of the declaration scan. */
export interface ScanLimits {
  /** Most files read (default 400). */
  maxFiles?: number;
  /** Deepest folder level (default 8). */
  maxDepth?: number;
}

const SKIPPED_FOLDERS = new Set(["node_modules", ".git", "dist", "out", "build", "coverage", ".next", ".vscode-test"]);
const SOURCE_FILE = /\.(ts|tsx|mts|cts)$/;
const DECLARATION = /^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(interface|type|enum|class)\s+([A-Za-z_$][\w$]*)/gm;
const MAX_DECLARATION_LINES = 40;

/** The TypeScript source files under `root`, skipping dependencies and build output. */
async function sourceFiles(root: string, limits: Required<ScanLimits>): Promise<string[]> {
  const files: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    if (depth > limits.maxDepth || files.length >= limits.maxFiles) return;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (files.length >= limits.maxFiles) return;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith(".")) await walk(join(folder, entry.name), depth + 1);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        files.push(join(folder, entry.name));
      }
    }
  };
  await walk(root, 0);
  return files;
}

/** The text of the declaration starting at `start`: to its closing brace, or to the end of a type alias. */
function declarationText(source: string, start: number): string {
  let depth = 0;
  let opened = false;
  let end = source.length;
  for (let i = start; i < source.length; i++) {
    const char = source[i];
    if (char === "{" || char === "(" || char === "<" || char === "[") {
      depth += 1;
      opened ||= char === "{";
    } else if (char === "}" || char === ")" || char === ">" || char === "]") {
      if (char === ">" && source[i - 1] === "=") continue;
      depth -= 1;
      if (depth === 0 && opened && char === "}") {
        end = i + 1;
        break;
      }
    } else if (char === ";" && depth === 0) {
      end = i + 1;
      break;
    } else if (char === "\n" && depth === 0 && !opened && /\n\s*(export|import|\/\/|\/\*|$)/.test(source.slice(i, i + 12))) {
      end = i;
      break;
    }
  }
  const lines = source.slice(start, end).split("\n");
  return lines.length > MAX_DECLARATION_LINES ? `${lines.slice(0, MAX_DECLARATION_LINES).join("\n")}\n  // …` : lines.join("\n");
}

/** The exported interfaces, types, enums and classes of the TypeScript files under `root`. */
export async function findDeclarations(root: string, limits: ScanLimits = {}): Promise<TypeDeclaration[]> {
  const files = await sourceFiles(root, { maxFiles: limits.maxFiles ?? 400, maxDepth: limits.maxDepth ?? 8 });
  const found: TypeDeclaration[] = [];
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, "utf8");
    } catch {
      continue;
    }
    for (const match of source.matchAll(DECLARATION)) {
      const start = match.index ?? 0;
      found.push({
        name: match[2],
        kind: match[1],
        file: relative(root, file),
        line: source.slice(0, start).split("\n").length,
        text: declarationText(source, start),
      });
    }
  }
  return found;
}
