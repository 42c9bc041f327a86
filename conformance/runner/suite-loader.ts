import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { StepSchema, type TestCase, TestCaseSchema, type TestSuite, TestSuiteSchema } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** A case file that does not describe a valid case. */
export class SuiteError extends Error {}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path);
      return entry.isFile() && /\.ya?ml$/.test(entry.name) ? [path] : [];
    })
    .sort();
}

/** Keys with spaces mapped to null: in YAML flow style, `{body: a, b}` silently makes a key "b". */
function suspiciousKeys(value: JsonValue, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => suspiciousKeys(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(item === null && /\s/.test(key) ? [`${path}.${key}`] : []),
    ...suspiciousKeys(item, `${path}.${key}`),
  ]);
}

function checkCase(testCase: TestCase, file: string): void {
  const fail = (message: string) => {
    throw new SuiteError(`${file}: ${message}`);
  };
  if (testCase.description.trim() === "") fail("a case needs a description of what it proves");
  if (testCase.steps.length === 0) fail("a case needs steps");
  const agents = new Set(testCase.agents);
  for (const agent of agents) if (!/^[A-Za-z][A-Za-z0-9]*$/.test(agent)) fail(`agent name "${agent}" must be letters and digits`);
  const unary = new Set(LinkerService.methods.filter((m) => m.methodKind === "unary").map((m) => m.name));
  const requestStreams = new Set(LinkerService.methods.filter((m) => m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming").map((m) => m.name));
  testCase.steps.forEach((step, i) => {
    const where = `step ${i + 1}`;
    const { action } = step;
    if (action.case === undefined) fail(`${where} has no action`);
    const needsAgent = action.case === "call" || action.case === "openStream" || action.case === "readStream" || action.case === "closeStream" || action.case === "awaitCall" || action.case === "streamCall";
    if (needsAgent && !agents.has(step.agent)) fail(`${where}: agent "${step.agent}" is not in agents [${testCase.agents.join(", ")}]`);
    if (action.case === "call" && !unary.has(action.value.method)) fail(`${where}: "${action.value.method}" is not a unary LinkerService method`);
    if (action.case === "streamCall" && !requestStreams.has(action.value.method)) {
      fail(`${where}: "${action.value.method}" is not a LinkerService method that takes a stream of requests`);
    }
    if (action.case === "streamCall" && step.expect?.response) fail(`${where}: a stream_call's expectation is responses, not response`);
    if (action.case !== "streamCall" && step.expect?.responses) fail(`${where}: only a stream_call step has responses to expect`);
    if (step.expect?.response && step.expect.error) fail(`${where}: expect either a response or an error`);
    const suspicious = suspiciousKeys(toJson(StepSchema, step), "step");
    if (suspicious.length > 0) fail(`${where}: ${suspicious.join(", ")} has no value; quote text that contains a comma`);
  });
}

/**
 * Loads the suite: settings from `suiteFile` and one TestCase from every
 * YAML file under `casesDir`, named by its path (for example
 * `messaging/offline-store-and-forward`). Files are protobuf JSON of
 * TestCase written as YAML, so unknown fields and wrong types are errors.
 */
export function loadSuite(suiteFile: string, casesDir: string): TestSuite {
  const suite = fromJson(TestSuiteSchema, parse(readFileSync(suiteFile, "utf8")) as JsonValue);
  if (suite.cases.length > 0) throw new SuiteError(`${suiteFile}: cases belong in ${casesDir}, one file each`);
  for (const file of yamlFiles(casesDir)) {
    const name = relative(casesDir, file).replace(/\\/g, "/").replace(/\.ya?ml$/, "");
    let testCase: TestCase;
    try {
      testCase = fromJson(TestCaseSchema, parse(readFileSync(file, "utf8")) as JsonValue);
    } catch (err) {
      throw new SuiteError(`${file}: ${(err as Error).message}`);
    }
    if (testCase.name !== "" && testCase.name !== name) throw new SuiteError(`${file}: name "${testCase.name}" differs from its path "${name}"`);
    testCase.name = name;
    checkCase(testCase, file);
    suite.cases.push(testCase);
  }
  return suite;
}
