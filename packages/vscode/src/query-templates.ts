/**
 * The seed's query templates (TeamQueryTemplates): ready-made questions one
 * Claude instance asks another.
 */
export const TeamQueryTemplates = {
  /** Asks how a component is designed. */
  architectureQuestion(component: string): string {
    return `How is ${component} structured in your project? Please describe its responsibilities, its main modules and how other code should talk to it.`;
  },
  /** Asks for a review of a file (optionally around a line). */
  codeReviewRequest(file: string, line?: number): string {
    return `Could you review ${file}${line !== undefined ? ` around line ${line}` : ""}? Point out bugs, unclear code and anything that breaks your side's expectations.`;
  },
  /** Asks which version of a dependency is used and how. */
  dependencyCheck(dependency: string): string {
    return `Which version of ${dependency} do you use, and do you rely on any behaviour of it that a version change would break?`;
  },
  /** Asks for the definition of an interface or type. */
  interfaceRequest(interfaceName: string): string {
    return `Please send me the current definition of ${interfaceName} (the interface or type, with its fields and their meaning).`;
  },
  /** Asks for help with an error, with what was tried. */
  bugHelp(error: string, context: string): string {
    return `I'm stuck on this error:\n${error}${context ? `\n\nContext: ${context}` : ""}\n\nHave you seen it, or do you know what on your side could cause it?`;
  },
  /** Asks what the other instance is working on, to stay in sync. */
  syncRequest(): string {
    return "Sync request: what are you working on right now, what changed recently that others depend on, and is anything blocked?";
  },
} as const;

/** One value a template asks for. */
export interface TemplateParameter {
  /** Key in the values passed to `build`. */
  key: string;
  /** Prompt of the input box. */
  prompt: string;
  /** Placeholder of the input box. */
  placeholder?: string;
  /** May be left empty. */
  optional?: boolean;
  /** Prefills the input from the current editor ("file", "line", "selection"). */
  prefill?: "file" | "line" | "selection";
}

/** A template as offered in Send Query's quick pick. */
export interface QueryTemplate {
  /** Stable id (also accepted as the `template` argument of claudeTeam.sendQuery). */
  id: string;
  /** Quick pick label. */
  label: string;
  /** Quick pick detail. */
  detail: string;
  /** Values to ask for, in order. */
  parameters: TemplateParameter[];
  /** The query text from the values. */
  build(values: Record<string, string>): string;
}

/** Every template, in the order Send Query lists them. */
export const QUERY_TEMPLATES: readonly QueryTemplate[] = [
  {
    id: "architecture",
    label: "Architecture question",
    detail: "How is a component structured?",
    parameters: [{ key: "component", prompt: "Which component?", placeholder: "the auth service" }],
    build: (values) => TeamQueryTemplates.architectureQuestion(values.component),
  },
  {
    id: "code-review",
    label: "Code review",
    detail: "Ask for a review of a file",
    parameters: [
      { key: "file", prompt: "Which file?", prefill: "file" },
      { key: "line", prompt: "Around which line? (optional)", optional: true, prefill: "line" },
    ],
    build: (values) => TeamQueryTemplates.codeReviewRequest(values.file, values.line && /^\d+$/.test(values.line) ? Number(values.line) : undefined),
  },
  {
    id: "dependency",
    label: "Dependency check",
    detail: "Which version of a dependency is used?",
    parameters: [{ key: "dependency", prompt: "Which dependency?", placeholder: "react" }],
    build: (values) => TeamQueryTemplates.dependencyCheck(values.dependency),
  },
  {
    id: "interface",
    label: "Interface request",
    detail: "Ask for the definition of an interface or type",
    parameters: [{ key: "interfaceName", prompt: "Which interface or type?", placeholder: "UserProfile", prefill: "selection" }],
    build: (values) => TeamQueryTemplates.interfaceRequest(values.interfaceName),
  },
  {
    id: "bug-help",
    label: "Bug help",
    detail: "Ask for help with an error",
    parameters: [
      { key: "error", prompt: "The error", prefill: "selection" },
      { key: "context", prompt: "What were you doing? (optional)", optional: true },
    ],
    build: (values) => TeamQueryTemplates.bugHelp(values.error, values.context ?? ""),
  },
  {
    id: "sync",
    label: "Sync request",
    detail: "What are you working on?",
    parameters: [],
    build: () => TeamQueryTemplates.syncRequest(),
  },
];

/** The template with this id. */
export function findTemplate(id: string): QueryTemplate | undefined {
  return QUERY_TEMPLATES.find((template) => template.id === id);
}
