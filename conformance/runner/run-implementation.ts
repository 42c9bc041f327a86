import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { join } from "node:path";
import { type RunReport, RunReportSchema, CaseStatus, type CaseResult, CaseResultSchema, StepResultSchema } from "@linker/protocol/gen/linker/conformance/v1/result_pb.js";
import type { TestCase, TestSuite } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { createTsClientExecutor } from "../clients/ts/executor.js";
import type { ClientExecutor } from "../protocol/client-executor.js";
import { runCase } from "./case-runner.js";
import { ClientProcess, ServerProcess } from "./child-process.js";
import type { Implementation } from "./implementations.js";
import { applyKnownFailing, readKnownFailing } from "./known-failing.js";

/** How to run one implementation. */
export interface RunOptions {
  /** Repository root; commands and lists are relative to it. */
  repoRoot: string;
  /** The whole suite (its settings, and every case name for known-failing patterns). */
  suite: TestSuite;
  /** The cases to run. */
  cases: TestCase[];
  /** Command of the reference hub (client mode). */
  referenceHub: string[];
  /** Extra arguments for the hub: the reference hub in client mode, the server under test in server mode. */
  serverArgs: string[];
  /** Known-failing list to use instead of the implementation's own. */
  knownFailing?: string;
  /** Folder for the programs' stderr logs. */
  logDir: string;
  /** Unique id of the run, part of every agent name. */
  runId: string;
  /** Why the implementation's build failed, if it did: every case then fails with it. */
  buildError?: string;
  /** Called after each case. */
  onCase?: (result: CaseResult) => void;
}

function failedCase(name: string, message: string): CaseResult {
  return create(CaseResultSchema, {
    name,
    status: CaseStatus.FAILED,
    steps: [create(StepResultSchema, { index: 0, action: "set-up", passed: false, failures: [message] })],
  });
}

/**
 * Runs the cases against one implementation. Client mode starts the reference
 * hub and the client under test; server mode starts the server under test and
 * drives it with the reference (TypeScript) client. One hub serves every case;
 * cases stay independent through unique agent names and namespaces.
 */
export async function runImplementation(impl: Implementation, options: RunOptions): Promise<RunReport> {
  const { repoRoot, suite, cases } = options;
  if (!suite.hubSettings) throw new Error("the suite has no hub_settings");
  // Every run gets an admin key of its own, for the cases that issue keys and release names.
  const settings = { ...suite.hubSettings, adminKey: suite.hubSettings.adminKey || `conformance-admin-${randomBytes(24).toString("base64url")}` };
  const log = (what: string) => join(options.logDir, `${impl.name}-${what}.log`);
  const hubCommand = impl.mode === "client" ? options.referenceHub : impl.command;
  const results: CaseResult[] = [];
  let hub: ServerProcess | undefined;
  let executor: ClientExecutor | undefined;
  try {
    if (options.buildError) throw new Error(options.buildError);
    hub = await ServerProcess.start(
      {
        command: [...hubCommand, ...options.serverArgs],
        env: impl.mode === "server" ? impl.env : {},
        cwd: repoRoot,
        logFile: log(impl.mode === "client" ? "reference-hub" : "server"),
      },
      settings,
    );
    executor =
      impl.mode === "client"
        ? new ClientProcess({ command: impl.command, env: impl.env, cwd: repoRoot, logFile: log("client") })
        : createTsClientExecutor();
    for (const testCase of cases) {
      const index = suite.cases.indexOf(testCase);
      let result: CaseResult;
      try {
        result = await runCase(testCase, { executor, hub, protocol: impl.protocol, runId: options.runId, index, adminKey: settings.adminKey });
      } catch (err) {
        result = failedCase(testCase.name, (err as Error).message);
      }
      results.push(result);
      options.onCase?.(result);
    }
  } catch (err) {
    for (const testCase of cases.slice(results.length)) {
      const result = failedCase(testCase.name, options.buildError ?? `could not start: ${(err as Error).message}`);
      results.push(result);
      options.onCase?.(result);
    }
  } finally {
    await executor?.close().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
  }
  const listFile = options.knownFailing ?? (impl.knownFailing && join(repoRoot, impl.knownFailing));
  const patterns = listFile ? readKnownFailing(listFile) : [];
  const verdict = applyKnownFailing(results, patterns, suite.cases.map((c) => c.name));
  const count = (...statuses: CaseStatus[]) => verdict.results.filter((r) => statuses.includes(r.status)).length;
  return create(RunReportSchema, {
    implementation: impl.name,
    mode: impl.mode,
    cases: verdict.results,
    passed: count(CaseStatus.PASSED),
    failed: count(CaseStatus.FAILED, CaseStatus.UNEXPECTED_PASS) + verdict.unmatchedPatterns.length,
    unmatchedPatterns: verdict.unmatchedPatterns,
  });
}
