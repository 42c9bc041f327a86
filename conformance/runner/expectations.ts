import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { RpcError } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import type { ErrorExpectation, Expectation, OutcomesExpectation, StreamExpectation } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { codeName, errorView } from "./json-view.js";
import type { Outcome, StreamRead } from "./outcomes.js";
import { matches, matchPattern } from "./pattern-match.js";
import type { Scope } from "./placeholders.js";

/** What is wrong with an outcome against its step's expectation (nothing: an empty list). */
export function checkOutcome(scope: Scope, outcome: Outcome, expect: Expectation | undefined): string[] {
  const check = new Expectations(scope);
  switch (outcome.kind) {
    case "none":
      return [];
    case "call":
      return check.call(outcome, expect);
    case "calls":
      return outcome.calls.flatMap((call, i) => check.call(call, expect).map((f) => `call ${i + 1}: ${f}`));
    case "stream":
      return check.stream(outcome.read, expect?.stream);
    case "streamCall":
      return check.streamCall(outcome, expect);
  }
}

/** What is wrong with the calls of a repeated step against its `outcomes` expectation (how many succeed, how they fail). */
export function checkOutcomeCounts(expected: OutcomesExpectation, outcomes: { ok: boolean; error?: RpcError }[]): string[] {
  const failures: string[] = [];
  const { succeeded, minFailed, failedWith } = expected;
  const ok = outcomes.filter((o) => o.ok).length;
  const errors = outcomes.filter((o) => !o.ok).map((o) => o.error!);
  if (succeeded !== undefined && ok !== succeeded) {
    failures.push(`expected ${succeeded} of ${outcomes.length} calls to succeed, ${ok} did (${errors.map((e) => codeName(e.code)).join(", ") || "no errors"})`);
  }
  if (minFailed !== undefined && errors.length < minFailed) failures.push(`expected at least ${minFailed} calls to fail, ${errors.length} did`);
  for (const error of errors) {
    if (failedWith.length > 0 && !failedWith.includes(error.code)) {
      failures.push(`a call failed with ${codeName(error.code)} (${error.message}), expected ${failedWith.map(codeName).join(" or ")}`);
    }
  }
  return failures;
}

/** The checks of one expectation, with the case's placeholders filled in. */
class Expectations {
  constructor(private readonly scope: Scope) {}

  private pattern(value: Value): JsonValue {
    return this.scope.substitute(toJson(ValueSchema, value));
  }

  call(outcome: { ok: boolean; error?: RpcError; view: JsonValue }, expect: Expectation | undefined): string[] {
    if (expect?.error) {
      if (outcome.ok) return [`expected ${this.codes(expect.error)}, the call succeeded: ${JSON.stringify(outcome.view).slice(0, 400)}`];
      return this.error(outcome.error!, expect.error);
    }
    if (!outcome.ok) return [`expected success, got ${codeName(outcome.error!.code)}: ${outcome.error!.message}`];
    if (expect?.response) return matchPattern(this.pattern(expect.response), outcome.view, "response");
    return [];
  }

  streamCall(outcome: { ok: boolean; error?: RpcError; view: JsonValue }, expect: Expectation | undefined): string[] {
    const failures: string[] = [];
    const { responses } = outcome.view as { responses: JsonValue[] };
    if (expect?.error) {
      if (outcome.ok) failures.push(`expected the call to end with ${this.codes(expect.error)}, it ended cleanly after ${responses.length} responses`);
      else failures.push(...this.error(outcome.error!, expect.error));
    } else if (!outcome.ok) {
      failures.push(`expected the call to end cleanly, it ended with ${codeName(outcome.error!.code)}: ${outcome.error!.message} (after ${responses.length} responses)`);
    }
    if (expect?.responses) failures.push(...matchPattern(this.pattern(expect.responses), responses, "responses"));
    return failures;
  }

  private codes(expectation: ErrorExpectation): string {
    return expectation.codes.length === 0 ? "an error" : expectation.codes.map(codeName).join(" or ");
  }

  private error(error: RpcError, expectation: ErrorExpectation): string[] {
    const failures: string[] = [];
    if (expectation.codes.length > 0 && !expectation.codes.includes(error.code)) {
      failures.push(`expected ${this.codes(expectation)}, got ${codeName(error.code)}: ${error.message}`);
    }
    const text = this.scope.string(expectation.messageContains);
    if (text !== "" && !error.message.toLowerCase().includes(text.toLowerCase())) {
      failures.push(`error message ${JSON.stringify(error.message)} does not contain ${JSON.stringify(text)}`);
    }
    const details = (errorView(error) as { details: JsonValue[] }).details;
    for (const detail of expectation.details) {
      const pattern = this.pattern(detail);
      if (!details.some((d) => matches(pattern, d))) failures.push(`no error detail matches ${JSON.stringify(pattern)} in ${JSON.stringify(details)}`);
    }
    return failures;
  }

  stream(read: StreamRead, expectation: StreamExpectation | undefined): string[] {
    const failures: string[] = [...read.orderFailures];
    if (expectation?.error) {
      if (!read.ended) return [`expected the stream to end with ${this.codes(expectation.error)}, it is still open`];
      if (!read.error) return [`expected the stream to end with ${this.codes(expectation.error)}, it ended cleanly`];
      failures.push(...this.error(read.error, expectation.error).map((f) => `stream: ${f}`));
    } else if (read.error) {
      failures.push(`stream ended with ${codeName(read.error.code)}: ${read.error.message}`);
    }
    if (!expectation) return failures;
    const selected = read.selected;
    const shown = () => JSON.stringify(selected).slice(0, 1500);
    if (expectation.events.length > 0) {
      if (selected.length !== expectation.events.length) {
        failures.push(`expected ${expectation.events.length} selected events, got ${selected.length}: ${shown()}`);
      } else {
        expectation.events.forEach((pattern, i) => failures.push(...matchPattern(this.pattern(pattern), selected[i], `events[${i}]`)));
      }
    }
    if (expectation.count !== undefined && selected.length !== expectation.count) {
      failures.push(`expected ${expectation.count} selected events, got ${selected.length}: ${shown()}`);
    }
    for (const pattern of expectation.includes) {
      const p = this.pattern(pattern);
      if (!selected.some((event) => matches(p, event))) failures.push(`no selected event matches ${JSON.stringify(p)}; got ${shown()}`);
    }
    for (const pattern of expectation.excludes) {
      const p = this.pattern(pattern);
      if (selected.some((event) => matches(p, event))) failures.push(`a selected event matches excluded ${JSON.stringify(p)}; got ${shown()}`);
    }
    if (expectation.caughtUp !== undefined && read.caughtUp !== expectation.caughtUp) {
      failures.push(expectation.caughtUp ? "expected the caught_up marker, none came" : "expected no caught_up marker, one came");
    }
    return failures;
  }
}
