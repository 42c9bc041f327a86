/**
 * The conformance runner. Without options it runs every implementation in
 * conformance/implementations.yaml (TypeScript, Python, Go and Ruby clients
 * against the reference hub, and Linker's hub as a server under test), after
 * building the ones that have a `build` command. It prints a line per case, a
 * line per implementation and a summary `N passed, N failed`, and exits
 * non-zero on any failure.
 *
 * Usage: tsx conformance/runner/main.ts [options]
 *   --impl NAME            run only this implementation (repeatable)
 *   --run GLOB             run only cases matching (repeatable; * within a segment, ** across)
 *   --skip GLOB            leave out cases matching (repeatable)
 *   --server-arg ARG       extra `linker hub` flag for the hub being run (repeatable),
 *                          e.g. --server-arg=--fault-drop-every-nth=1
 *   --server KIND          how Linker's hub runs (the reference hub, and linker-hub in
 *                          server mode): "single" (default; one hub on SQLite) or
 *                          "replicas" (two hubs on one PostgreSQL database, the agents
 *                          of each case spread over both)
 *   --postgres-url URL     for --server replicas: make the databases on this server
 *                          instead of a throwaway PostgreSQL 15 cluster
 *   --known-failing FILE   use this known-failing list instead of the implementation's
 *   --report FILE          write the RunReports as JSON
 *   --sequential           run implementations one after another
 *   --verbose              print every step of failing cases
 *   --list                 print the case names and exit
 */
import { toJson } from "@bufbuild/protobuf";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { CaseStatus, type RunReport, RunReportSchema } from "@linker/protocol/gen/linker/conformance/v1/result_pb.js";
import { Protocol } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { buildImplementation } from "./build-implementation.js";
import { loadImplementations } from "./implementations.js";
import { globToRegExp } from "./known-failing.js";
import { runImplementation } from "./run-implementation.js";
import { loadSuite, SuiteError } from "./suite-loader.js";
import { type PostgresCluster, startPostgresCluster } from "../../test/support/postgres-cluster.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    impl: { type: "string", multiple: true },
    run: { type: "string", multiple: true },
    skip: { type: "string", multiple: true },
    "server-arg": { type: "string", multiple: true },
    server: { type: "string", default: "single" },
    "postgres-url": { type: "string" },
    "known-failing": { type: "string" },
    report: { type: "string" },
    sequential: { type: "boolean" },
    verbose: { type: "boolean" },
    list: { type: "boolean" },
  },
});

let suite;
try {
  suite = loadSuite(join(repoRoot, "conformance/suite.yaml"), join(repoRoot, "conformance/cases"));
} catch (err) {
  if (!(err instanceof SuiteError)) throw err;
  process.stderr.write(`invalid case: ${err.message}\n`);
  process.exit(2);
}
const runPatterns = (values.run ?? []).map(globToRegExp);
const skipPatterns = (values.skip ?? []).map(globToRegExp);
const cases = suite.cases.filter(
  (c) => (runPatterns.length === 0 || runPatterns.some((re) => re.test(c.name))) && !skipPatterns.some((re) => re.test(c.name)),
);
if (values.list) {
  for (const c of cases) process.stdout.write(`${c.name}\n`);
  process.exit(0);
}
if (cases.length === 0) {
  process.stderr.write("no case matches --run/--skip\n");
  process.exit(2);
}

const config = loadImplementations(join(repoRoot, "conformance/implementations.yaml"));
const wanted = values.impl ?? [];
for (const name of wanted) {
  if (!config.implementations.some((impl) => impl.name === name)) {
    process.stderr.write(`unknown implementation "${name}"; known: ${config.implementations.map((i) => i.name).join(", ")}\n`);
    process.exit(2);
  }
}
const implementations = config.implementations.filter((impl) => wanted.length === 0 || wanted.includes(impl.name));
if (values["known-failing"] && implementations.length !== 1) {
  process.stderr.write("--known-failing needs exactly one --impl\n");
  process.exit(2);
}

if (values.server !== "single" && values.server !== "replicas") {
  process.stderr.write(`unknown --server "${values.server}"; known: single, replicas\n`);
  process.exit(2);
}
const serverArgs = [...(values["server-arg"] ?? [])];
let cluster: PostgresCluster | undefined;
if (values.server === "replicas") {
  // One PostgreSQL server for the run; every hub set gets a database of its own on it.
  const clusterStarted = Date.now();
  try {
    if (!values["postgres-url"]) cluster = await startPostgresCluster();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cluster?.stop();
      process.exit(1);
    });
  }
  if (cluster) process.stderr.write(`PostgreSQL: a throwaway cluster started in ${((Date.now() - clusterStarted) / 1000).toFixed(1)} s\n`);
  serverArgs.push("--replicas=2", `--postgres-url=${values["postgres-url"] ?? cluster!.url}`);
}

const runId = randomBytes(3).toString("hex");
const logDir = mkdtempSync(join(tmpdir(), "linker-conformance-"));
const started = Date.now();

/** "client mode, grpc": how an implementation was run (", replicas" against replicas). */
function modeOf(report: RunReport, protocol: Protocol): string {
  return `${report.mode} mode, ${Protocol[protocol].toLowerCase().replace("_", "-")}${values.server === "replicas" ? ", replicas" : ""}`;
}

/** "go: 74 passed, 0 failed", with known failures when there are any. */
function tally(report: RunReport): string {
  const known = report.cases.filter((c) => c.status === CaseStatus.KNOWN_FAILING).length;
  return `${report.passed} passed, ${report.failed} failed${known > 0 ? `, ${known} known failing` : ""}`;
}

function format(report: RunReport, protocol: Protocol): string {
  const lines = [`== ${report.implementation} (${modeOf(report, protocol)}) ==`];
  for (const result of report.cases) {
    const label =
      result.status === CaseStatus.PASSED
        ? "PASS"
        : result.status === CaseStatus.KNOWN_FAILING
          ? "FAIL (known)"
          : result.status === CaseStatus.UNEXPECTED_PASS
            ? "FAIL (passed, but listed as known failing: remove it from the list)"
            : "FAIL";
    lines.push(`${label} ${result.name} (${result.durationMs} ms)`);
    if (result.status === CaseStatus.FAILED || (values.verbose && result.status === CaseStatus.KNOWN_FAILING)) {
      for (const step of result.steps) {
        if (!values.verbose && step.passed) continue;
        const head = `    step ${step.index}${step.agent ? ` (${step.agent})` : ""} ${step.action}`;
        lines.push(step.passed ? `${head}: ok` : `${head}:`);
        for (const failure of step.failures) lines.push(`      ${failure}`);
      }
    }
  }
  for (const pattern of report.unmatchedPatterns) lines.push(`FAIL known-failing pattern "${pattern}" matches no case (remove it)`);
  lines.push(`${report.implementation}: ${tally(report)}`);
  return lines.join("\n") + "\n";
}

// Builds first, one at a time, so no build competes with timing-sensitive cases for the CPU.
const buildErrors = new Map<string, string>();
for (const impl of implementations) {
  if (!impl.build) continue;
  const buildStarted = Date.now();
  try {
    await buildImplementation(impl, repoRoot, join(logDir, `${impl.name}-build.log`));
    process.stderr.write(`${impl.name}: built in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    buildErrors.set(impl.name, (err as Error).message);
    process.stderr.write(`${impl.name}: ${(err as Error).message}\n`);
  }
}

const runOne = async (impl: (typeof implementations)[number]) => {
  const report = await runImplementation(impl, {
    repoRoot,
    suite,
    cases,
    referenceHub: config.referenceHub,
    serverArgs,
    knownFailing: values["known-failing"] && resolve(values["known-failing"]),
    logDir,
    runId,
    buildError: buildErrors.get(impl.name),
  });
  if (values.sequential) process.stdout.write(format(report, impl.protocol));
  else process.stderr.write(`${impl.name}: done, ${report.passed} passed, ${report.failed} failed\n`);
  return report;
};

const reports: RunReport[] = [];
if (values.sequential) {
  for (const impl of implementations) reports.push(await runOne(impl));
} else {
  reports.push(...(await Promise.all(implementations.map(runOne))));
  reports.forEach((report, i) => process.stdout.write(format(report, implementations[i].protocol)));
}

if (values.report) {
  writeFileSync(values.report, JSON.stringify(reports.map((r) => toJson(RunReportSchema, r)), null, 2));
}
cluster?.stop();
const passed = reports.reduce((n, r) => n + r.passed, 0);
const failed = reports.reduce((n, r) => n + r.failed, 0);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failed === 0 && !values.verbose) rmSync(logDir, { recursive: true, force: true });
const logs = existsSync(logDir) ? `; logs in ${logDir}` : "";
process.stdout.write(`\nconformance: ${reports.length} implementations, ${cases.length} cases each, ${seconds} s${logs}\n`);
reports.forEach((report, i) => process.stdout.write(`  ${report.implementation} (${modeOf(report, implementations[i].protocol)}): ${tally(report)}\n`));
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
