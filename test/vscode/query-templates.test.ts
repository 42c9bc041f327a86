import { describe, expect, it } from "vitest";
import { findTemplate, QUERY_TEMPLATES, TeamQueryTemplates } from "../../packages/vscode/src/query-templates.js";

describe("query templates", () => {
  it("offers the seed's six templates", () => {
    expect(QUERY_TEMPLATES.map((template) => template.id)).toEqual(["architecture", "code-review", "dependency", "interface", "bug-help", "sync"]);
    expect(Object.keys(TeamQueryTemplates)).toEqual(["architectureQuestion", "codeReviewRequest", "dependencyCheck", "interfaceRequest", "bugHelp", "syncRequest"]);
  });

  it("builds the questions from their parameters", () => {
    expect(TeamQueryTemplates.architectureQuestion("the auth service")).toContain("How is the auth service structured");
    expect(TeamQueryTemplates.codeReviewRequest("src/a.ts", 12)).toContain("src/a.ts around line 12");
    expect(TeamQueryTemplates.codeReviewRequest("src/a.ts")).not.toContain("line");
    expect(TeamQueryTemplates.dependencyCheck("react")).toContain("Which version of react");
    expect(TeamQueryTemplates.interfaceRequest("User")).toContain("definition of User");
    expect(TeamQueryTemplates.bugHelp("TypeError: x", "running tests")).toMatch(/TypeError: x[\s\S]*Context: running tests/);
    expect(TeamQueryTemplates.syncRequest()).toMatch(/^Sync request/);
  });

  it("builds from the quick pick's values, ignoring a line that is not a number", () => {
    expect(findTemplate("code-review")?.build({ file: "b.ts", line: "7" })).toContain("b.ts around line 7");
    expect(findTemplate("code-review")?.build({ file: "b.ts", line: "" })).not.toContain("line");
    expect(findTemplate("nope")).toBeUndefined();
  });
});
