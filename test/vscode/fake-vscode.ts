/**
 * A small stand-in for the `vscode` module (vitest aliases "vscode" to this
 * file): the classes and enums the extension constructs, and window,
 * workspace, commands, languages and extensions objects whose behaviour tests
 * script through `fake`.
 */

type Listener<T> = (value: T) => unknown;

/** vscode.Disposable. */
export class Disposable {
  constructor(private readonly onDispose: () => void = () => {}) {}
  dispose(): void {
    this.onDispose();
  }
}

/** vscode.Event. */
export type Event<T> = (listener: Listener<T>) => Disposable;

/** vscode.EventEmitter. */
export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

/** vscode.ThemeIcon. */
export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

/** vscode.ThemeColor. */
export class ThemeColor {
  constructor(readonly id: string) {}
}

/** vscode.MarkdownString. */
export class MarkdownString {
  constructor(public value = "") {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendCodeblock(code: string, language = ""): this {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

/** vscode.TreeItem. */
export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

/** vscode.Position. */
export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

/** vscode.Range. */
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}

/** vscode.Selection. */
export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

/** vscode.Uri (file URIs only). */
export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(path: string): Uri {
    return new Uri("file", path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, [base.fsPath, ...parts].join("/"));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

/** A minimal text document. */
export interface FakeDocument {
  uri: Uri;
  languageId: string;
  getText(range?: Range): string;
}

/** A text editor with a document and a selection. */
export interface FakeEditor {
  document: FakeDocument;
  selection: Selection;
}

/** Creates a document over `text` at `path`. */
export function fakeDocument(path: string, text: string, languageId = "typescript"): FakeDocument {
  return {
    uri: Uri.file(path),
    languageId,
    getText(range?: Range) {
      if (!range) return text;
      const lines = text.split("\n");
      return lines.slice(range.start.line, range.end.line + 1).join("\n");
    },
  };
}

/** A line written to a fake output channel. */
export interface LoggedLine {
  level: string;
  text: string;
}

/** A notification the code showed. */
export interface Shown {
  level: "info" | "warning" | "error";
  text: string;
  buttons: unknown[];
}

const activeEditorChanged = new EventEmitter<FakeEditor | undefined>();
const configurationChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

/** What tests script and inspect. */
export const fake = {
  /** Settings by full key ("claudeTeam.hubPort"). */
  settings: new Map<string, unknown>(),
  /** Answers to showInputBox / showQuickPick, taken in order; a function picks among quick pick items. */
  answers: [] as unknown[],
  /** Prompts shown (input box prompts and quick pick titles). */
  prompts: [] as string[],
  /** Notifications shown. */
  shown: [] as Shown[],
  /** Lines written to output channels. */
  logged: [] as LoggedLine[],
  /** Commands registered. */
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  /** Commands executed that are not registered (built-in ones). */
  executed: [] as { command: string; args: unknown[] }[],
  /** Diagnostics returned by languages.getDiagnostics. */
  diagnostics: [] as [Uri, { severity: DiagnosticSeverity; message: string; range: Range }[]][],
  /** Extensions by id. */
  extensions: new Map<string, { isActive: boolean; exports: unknown; activate(): Promise<unknown> }>(),
  /** Documents opened with openTextDocument. */
  opened: [] as { language?: string; content?: string }[],
  /** Resets everything. */
  reset(): void {
    fake.settings.clear();
    fake.answers.length = 0;
    fake.prompts.length = 0;
    fake.shown.length = 0;
    fake.logged.length = 0;
    fake.commands.clear();
    fake.executed.length = 0;
    fake.diagnostics.length = 0;
    fake.extensions.clear();
    fake.opened.length = 0;
    window.activeTextEditor = undefined;
    workspace.workspaceFolders = undefined;
    workspace.name = undefined;
  },
  /** Makes `editor` the active editor (firing the change event). */
  setActiveEditor(editor: FakeEditor | undefined): void {
    window.activeTextEditor = editor;
    activeEditorChanged.fire(editor);
  },
  /** Changes a setting and fires onDidChangeConfiguration. */
  changeSetting(key: string, value: unknown): void {
    fake.settings.set(key, value);
    configurationChanged.fire({ affectsConfiguration: (section: string) => key === section || key.startsWith(`${section}.`) });
  },
};

function nextAnswer(): unknown {
  return fake.answers.shift();
}

function outputChannel(name: string) {
  const write = (level: string) => (text: string) => fake.logged.push({ level, text: `${name}: ${text}` });
  return {
    name,
    trace: write("trace"),
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    appendLine: write("info"),
    show() {},
    dispose() {},
  };
}

function notify(level: Shown["level"]) {
  return (text: string, ...rest: unknown[]) => {
    const buttons = rest.filter((item) => typeof item === "string");
    fake.shown.push({ level, text, buttons });
    return Promise.resolve(undefined);
  };
}

/** vscode.window. */
export const window = {
  activeTextEditor: undefined as FakeEditor | undefined,
  onDidChangeActiveTextEditor: activeEditorChanged.event,
  createOutputChannel: (name: string) => outputChannel(name),
  createStatusBarItem: (id?: string) => ({
    id,
    name: "",
    text: "",
    tooltip: "" as unknown,
    command: undefined as unknown,
    backgroundColor: undefined as unknown,
    visible: false,
    show() {
      this.visible = true;
    },
    hide() {
      this.visible = false;
    },
    dispose() {},
  }),
  createTreeView: (id: string, options: { treeDataProvider: unknown }) => ({ id, ...options, message: undefined as string | undefined, reveal: async () => {}, dispose() {} }),
  showInformationMessage: notify("info"),
  showWarningMessage: notify("warning"),
  showErrorMessage: notify("error"),
  async showInputBox(options: { prompt?: string; value?: string; validateInput?: (value: string) => string | undefined }) {
    fake.prompts.push(options.prompt ?? "");
    const answer = nextAnswer();
    if (typeof answer === "string" && options.validateInput?.(answer)) throw new Error(`input "${answer}" rejected: ${options.validateInput(answer)}`);
    return answer as string | undefined;
  },
  async showQuickPick<T extends { label: string }>(items: readonly (T | string)[] | Promise<readonly (T | string)[]>, options: { title?: string } = {}) {
    fake.prompts.push(options.title ?? "");
    const list = await items;
    const answer = nextAnswer();
    if (typeof answer === "function") return (answer as (items: readonly (T | string)[]) => T | string | undefined)(list);
    if (typeof answer === "string") return list.find((item) => (typeof item === "string" ? item === answer : item.label.includes(answer)));
    return answer as T | undefined;
  },
  async withProgress<R>(_options: unknown, task: (progress: { report(value: unknown): void }) => Promise<R>) {
    return task({ report() {} });
  },
  async showTextDocument(document: unknown) {
    return document;
  },
};

/** vscode.workspace. */
export const workspace = {
  name: undefined as string | undefined,
  workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  onDidChangeConfiguration: configurationChanged.event,
  getConfiguration(section?: string) {
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const full = section ? `${section}.${key}` : key;
        return (fake.settings.has(full) ? fake.settings.get(full) : fallback) as T | undefined;
      },
    };
  },
  asRelativePath(target: Uri | string): string {
    const path = typeof target === "string" ? target : target.fsPath;
    const folder = workspace.workspaceFolders?.find((candidate) => path.startsWith(`${candidate.uri.fsPath}/`));
    return folder ? path.slice(folder.uri.fsPath.length + 1) : path;
  },
  async openTextDocument(options: { language?: string; content?: string }) {
    fake.opened.push(options);
    return options;
  },
};

/** vscode.languages. */
export const languages = {
  getDiagnostics: () => fake.diagnostics,
};

/** vscode.extensions. */
export const extensions = {
  getExtension: (id: string) => fake.extensions.get(id),
};

/** vscode.commands. */
export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    fake.commands.set(id, handler);
    return new Disposable(() => fake.commands.delete(id));
  },
  async executeCommand<T>(id: string, ...args: unknown[]): Promise<T> {
    const handler = fake.commands.get(id);
    if (handler) return (await handler(...args)) as T;
    fake.executed.push({ command: id, args });
    return undefined as T;
  },
};

/** vscode.version. */
export const version = "1.100.0-fake";
