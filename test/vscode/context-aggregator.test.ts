import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContextAggregator, describeContext } from "../../packages/vscode/src/context-aggregator.js";
import { GitBranchReader } from "../../packages/vscode/src/git-branch.js";
import { DiagnosticSeverity, EventEmitter, fake, fakeDocument, Range, Selection, Uri, workspace } from "./fake-vscode.js";

const ROOT = "/work/shop";

/** Installs a fake vscode.git extension whose repository's HEAD appears when `headChanged` fires. */
function fakeGit(branch: string | undefined) {
  const headChanged = new EventEmitter<void>();
  const repository = { rootUri: Uri.file(ROOT), state: { HEAD: branch ? { name: branch } : undefined, onDidChange: headChanged.event } };
  const api = { state: "initialized", onDidChangeState: new EventEmitter<string>().event, repositories: [repository], onDidOpenRepository: new EventEmitter<unknown>().event };
  fake.extensions.set("vscode.git", { isActive: true, exports: { enabled: true, getAPI: () => api }, activate: async () => ({ getAPI: () => api }) });
  return { repository, headChanged };
}

let aggregator: ContextAggregator;

beforeEach(() => {
  fake.reset();
  workspace.name = "shop";
  workspace.workspaceFolders = [{ uri: Uri.file(ROOT), name: "shop", index: 0 }];
});

afterEach(() => aggregator?.dispose());

describe("ContextAggregator", () => {
  it("collects project, active file, recent files, branch and errors", async () => {
    fakeGit("feature/cart");
    aggregator = new ContextAggregator();
    const editor = (path: string) => ({ document: fakeDocument(`${ROOT}/${path}`, "x"), selection: new Selection(0, 0, 0, 0) });
    fake.setActiveEditor(editor("src/a.ts"));
    fake.setActiveEditor(editor("src/b.ts"));
    fake.setActiveEditor(editor("src/a.ts"));
    fake.diagnostics.push([
      Uri.file(`${ROOT}/src/a.ts`),
      [
        { severity: DiagnosticSeverity.Error, message: "Type 'string' is not assignable\nmore", range: new Range(4, 0, 4, 1) },
        { severity: DiagnosticSeverity.Warning, message: "unused", range: new Range(1, 0, 1, 1) },
      ],
    ]);
    await aggregator.git.ready(100);
    expect(aggregator.collect()).toEqual({
      projectName: "shop",
      currentFile: "src/a.ts",
      recentFiles: ["src/a.ts", "src/b.ts"],
      gitBranch: "feature/cart",
      errors: ["src/a.ts:5: Type 'string' is not assignable"],
    });
    const identity = await aggregator.identity();
    expect(identity.workspace).toMatchObject({ project: "shop", path: ROOT, gitBranch: "feature/cart" });
    expect(describeContext(aggregator.collect())).toContain("Branch: feature/cart");
  });

  it("waits (bounded) for the repository's HEAD before registering", async () => {
    const git = fakeGit(undefined);
    const reader = new GitBranchReader();
    const ready = reader.ready(5_000);
    (git.repository.state as { HEAD?: { name: string } }).HEAD = { name: "main" };
    await Promise.resolve();
    git.headChanged.fire();
    await ready;
    expect(reader.branch(`${ROOT}/x.ts`)).toBe("main");
  });

  it("works without git and without a workspace", async () => {
    workspace.workspaceFolders = undefined;
    workspace.name = undefined;
    aggregator = new ContextAggregator();
    await aggregator.git.ready(50);
    expect(aggregator.collect()).toEqual({ projectName: "", currentFile: "", recentFiles: [], gitBranch: "", errors: [] });
    expect((await aggregator.identity()).description).toBe("VS Code window");
  });
});
