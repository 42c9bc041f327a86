import { execFileSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The project the end-to-end VS Code window opens. */
export interface WorkspaceFixture {
  /** The folder. */
  path: string;
  /** package.json version. */
  version: string;
  /** Checked-out branch. */
  branch: string;
}

/** Creates a small git project (`name`, default billing-app): package.json, a TypeScript file with an interface, on branch feature/e2e. */
export async function createWorkspace(root: string, name = "billing-app", settings: Record<string, unknown> = {}): Promise<WorkspaceFixture> {
  const path = join(root, name);
  const version = "1.4.2";
  const branch = "feature/e2e";
  await mkdir(join(path, "src"), { recursive: true });
  await writeFile(join(path, "package.json"), `${JSON.stringify({ name, version, dependencies: { zod: "^4.0.0" } }, null, 2)}\n`);
  await mkdir(join(path, ".vscode"), { recursive: true });
  await writeFile(join(path, ".vscode", "settings.json"), `${JSON.stringify(settings, null, 2)}\n`);
  await writeFile(
    join(path, "src", "invoice.ts"),
    [
      "/** An invoice as the billing API returns it. */",
      "export interface Invoice {",
      "  id: string;",
      "  customerId: string;",
      "  totalCents: number;",
      "}",
      "",
      "/** Invoice states. */",
      'export type InvoiceState = "draft" | "sent" | "paid";',
      "",
    ].join("\n"),
  );
  const git = (...args: string[]) => execFileSync("git", args, { cwd: path, stdio: "ignore" });
  git("init", "-q", "-b", branch);
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "add", ".");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "commit", "-q", "-m", "billing app");
  return { path, version, branch };
}

/** Writes a stand-in for the claude CLI: it answers `-p <prompt>` with the prompt's question line. */
export async function writeFakeClaude(folder: string): Promise<string> {
  const path = join(folder, "fake-claude");
  await writeFile(
    path,
    [
      "#!/usr/bin/env node",
      'const at = process.argv.indexOf("-p");',
      'const prompt = at >= 0 ? process.argv[at + 1] ?? "" : "";',
      'const question = prompt.split("\\n").find((line, i, lines) => i > 0 && lines[i - 1] === "") ?? "";',
      'process.stdout.write(`fake claude answers: ${question}\\n`);',
      "",
    ].join("\n"),
  );
  await chmod(path, 0o755);
  return path;
}
