import * as vscode from "vscode";

/** The part of the built-in git extension's API (vscode.git, API version 1) this extension reads. */
interface GitApi {
  readonly state: "uninitialized" | "initialized";
  readonly onDidChangeState: vscode.Event<"uninitialized" | "initialized">;
  readonly repositories: readonly GitRepository[];
  readonly onDidOpenRepository: vscode.Event<GitRepository>;
}

interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: { readonly HEAD?: { readonly name?: string; readonly commit?: string }; readonly onDidChange: vscode.Event<void> };
}

interface GitExtensionExports {
  readonly enabled?: boolean;
  getAPI(version: 1): GitApi;
}

/** Resolves when `event` fires or after `timeoutMs`, whichever comes first. */
function firstOf<T>(event: vscode.Event<T>, timeoutMs: number): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, timeoutMs);
    const subscription = event(() => finish());
    function finish() {
      clearTimeout(timer);
      subscription.dispose();
      done();
    }
  });
}

/**
 * Reads the current git branch through VS Code's git extension API (the
 * seed's way): the HEAD of the repository holding `path`, or of the first
 * repository. Undefined when git is disabled, absent, or there is no repository.
 */
export class GitBranchReader {
  private api: GitApi | undefined;

  /**
   * Finds the git API (activating the git extension), waiting up to
   * `timeoutMs` for each of: the API, its first repository, and that
   * repository's HEAD.
   */
  async ready(timeoutMs = 3_000): Promise<void> {
    const api = await this.load();
    if (!api) return;
    if (api.state !== "initialized") await firstOf(api.onDidChangeState, timeoutMs);
    if (api.repositories.length === 0) await firstOf(api.onDidOpenRepository, timeoutMs);
    const repository = api.repositories[0];
    if (repository && !repository.state.HEAD) await firstOf(repository.state.onDidChange, timeoutMs);
  }

  /** The branch name (or short commit when detached) of the repository holding `path`. */
  branch(path?: string): string | undefined {
    const repositories = this.api?.repositories ?? [];
    const holding = path
      ? repositories
          .filter((repo) => path === repo.rootUri.fsPath || path.startsWith(`${repo.rootUri.fsPath}/`) || path.startsWith(`${repo.rootUri.fsPath}\\`))
          .sort((a, b) => b.rootUri.fsPath.length - a.rootUri.fsPath.length)[0]
      : undefined;
    const head = (holding ?? repositories[0])?.state.HEAD;
    if (!head) return undefined;
    return head.name ?? head.commit?.slice(0, 8);
  }

  private async load(): Promise<GitApi | undefined> {
    if (this.api) return this.api;
    const extension = vscode.extensions.getExtension<GitExtensionExports>("vscode.git");
    if (!extension) return undefined;
    try {
      const exports = extension.isActive ? extension.exports : await extension.activate();
      if (exports?.enabled === false) return undefined;
      this.api = exports?.getAPI(1);
    } catch {
      this.api = undefined;
    }
    return this.api;
  }
}
