import { hostname } from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import * as vscode from "vscode";
import type { SharedContextSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { GitBranchReader } from "./git-branch.js";
import type { WindowIdentity } from "./hub-connection.js";

/** The seed's TeamContext, as the proto's SharedContext. */
export type TeamContext = Required<Omit<MessageInitShape<typeof SharedContextSchema>, "$typeName">>;

/** How many recent files the aggregator remembers. */
const RECENT_FILES = 10;
/** How many diagnostics errors go into a context. */
const MAX_ERRORS = 20;

/**
 * Gathers what this window knows about its workspace (the seed's context
 * aggregation pipeline): project name, active file, recently used files, the
 * git branch from VS Code's git extension, and current diagnostics errors.
 * Paths are relative to the workspace.
 */
export class ContextAggregator implements vscode.Disposable {
  private readonly recent: string[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The git branch source. */
  readonly git: GitBranchReader;

  constructor(git = new GitBranchReader()) {
    this.git = git;
    this.remember(vscode.window.activeTextEditor?.document);
    this.subscriptions.push(vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor?.document)));
  }

  /** The project name: the workspace's name, or its first folder's. */
  projectName(): string | undefined {
    return vscode.workspace.name ?? vscode.workspace.workspaceFolders?.[0]?.name;
  }

  /** Absolute path of the first workspace folder, if any. */
  projectPath(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  /** The file in the active editor, relative to the workspace. */
  currentFile(): string | undefined {
    const document = vscode.window.activeTextEditor?.document;
    return document && isFile(document.uri) ? vscode.workspace.asRelativePath(document.uri, false) : undefined;
  }

  /** Recently active files, most recent first. */
  recentFiles(): string[] {
    return [...this.recent];
  }

  /** The current branch of the workspace's repository. */
  gitBranch(): string | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    return this.git.branch(active && isFile(active) ? active.fsPath : this.projectPath());
  }

  /** Current errors as `path:line: message`, at most 20. */
  errors(): string[] {
    const lines: string[] = [];
    for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
      for (const diagnostic of diagnostics) {
        if (diagnostic.severity !== vscode.DiagnosticSeverity.Error) continue;
        lines.push(`${vscode.workspace.asRelativePath(uri, false)}:${diagnostic.range.start.line + 1}: ${diagnostic.message.split("\n")[0]}`);
        if (lines.length >= MAX_ERRORS) return lines;
      }
    }
    return lines;
  }

  /** The whole context now. */
  collect(): TeamContext {
    return {
      projectName: this.projectName() ?? "",
      currentFile: this.currentFile() ?? "",
      recentFiles: this.recentFiles(),
      gitBranch: this.gitBranch() ?? "",
      errors: this.errors(),
    };
  }

  /** How this window registers: project, path, branch and host. */
  async identity(): Promise<WindowIdentity> {
    await this.git.ready();
    const project = this.projectName();
    return {
      project,
      description: project ? `VS Code window on ${project}` : "VS Code window",
      workspace: { project: project ?? "", path: this.projectPath() ?? "", gitBranch: this.gitBranch() ?? "", host: hostname() },
    };
  }

  /** Stops tracking editors. */
  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }

  private remember(document: vscode.TextDocument | undefined): void {
    if (!document || !isFile(document.uri)) return;
    const path = vscode.workspace.asRelativePath(document.uri, false);
    const at = this.recent.indexOf(path);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.unshift(path);
    this.recent.length = Math.min(this.recent.length, RECENT_FILES);
  }
}

function isFile(uri: vscode.Uri): boolean {
  return uri.scheme === "file" || uri.scheme === "vscode-remote";
}

/** A few readable lines describing a context (for message bodies and prompts). */
export function describeContext(context: Partial<TeamContext>): string {
  const lines: string[] = [];
  if (context.projectName) lines.push(`Project: ${context.projectName}`);
  if (context.gitBranch) lines.push(`Branch: ${context.gitBranch}`);
  if (context.currentFile) lines.push(`Active file: ${context.currentFile}`);
  if (context.recentFiles && context.recentFiles.length > 0) lines.push(`Recent files: ${context.recentFiles.join(", ")}`);
  if (context.errors && context.errors.length > 0) lines.push(`Errors (${context.errors.length}):\n${context.errors.map((error) => `  - ${error}`).join("\n")}`);
  return lines.join("\n");
}
