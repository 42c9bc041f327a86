import { create, type DescMethodUnary, fromJson, type JsonValue, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { type CallOutcome, ClientCompatRequestSchema, type ClientCompatResponse, type RpcError } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { type CaseResult, CaseResultSchema, CaseStatus, type StepResult, StepResultSchema } from "@linker/protocol/gen/linker/conformance/v1/result_pb.js";
import type { Call, ReadStream, Reflect, Step, StreamCall, StreamExpectation, TestCase } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { SubscribeRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { CaseContext } from "./case-context.js";
import { checkOutcome, checkOutcomeCounts } from "./expectations.js";
import { errorView, jsonOptions, registry } from "./json-view.js";
import { HarnessFault, type Outcome, type StreamRead, type StreamState } from "./outcomes.js";
import { describe, methodByName, streamingMethodByName } from "./steps.js";
import { checkStreamOrder, collectItems, streamSelector } from "./stream-reading.js";
import { matches } from "./pattern-match.js";
import { lookup, PlaceholderError, Scope } from "./placeholders.js";

/** Default deadline of a read that waits for something. */
const READ_WAIT_MS = 5_000;
/** Default length of a read that only proves nothing more arrives. */
const READ_QUIET_MS = 300;

/** Runs one case against a hub through an executor and reports every step. */
export async function runCase(testCase: TestCase, ctx: CaseContext): Promise<CaseResult> {
  return new CaseRun(testCase, ctx).run();
}

class CaseRun {
  private readonly scope = new Scope();
  private readonly streams = new Map<string, StreamState>();
  private readonly pending = new Map<string, DescMethodUnary>();
  private readonly prefix: string;

  constructor(
    private readonly testCase: TestCase,
    private readonly ctx: CaseContext,
  ) {
    this.prefix = `k${ctx.index}${ctx.runId}`;
    this.scope.set("ns", `conf/${ctx.runId}/${ctx.index}`);
    if (ctx.adminKey) this.scope.set("admin_key", ctx.adminKey);
    for (const agent of testCase.agents) this.scope.set(`${agent}.name`, this.agentKey(agent));
  }

  async run(): Promise<CaseResult> {
    const started = Date.now();
    const steps: StepResult[] = [];
    let failed = false;
    for (const [i, step] of this.testCase.steps.entries()) {
      const stepStarted = Date.now();
      let failures: string[];
      try {
        failures = await this.runStep(step);
      } catch (err) {
        const harness = err instanceof HarnessFault || err instanceof PlaceholderError;
        failures = [`${harness ? "harness: " : ""}${(err as Error).message}`];
      }
      steps.push(
        create(StepResultSchema, {
          index: i + 1,
          agent: step.agent,
          action: describe(step),
          passed: failures.length === 0,
          failures,
          durationMs: Date.now() - stepStarted,
        }),
      );
      if (failures.length > 0) {
        failed = true;
        break;
      }
    }
    await this.cleanUp();
    return create(CaseResultSchema, {
      name: this.testCase.name,
      status: failed ? CaseStatus.FAILED : CaseStatus.PASSED,
      steps,
      durationMs: Date.now() - started,
    });
  }

  private agentKey(agent: string): string {
    return `${this.prefix}-${agent}`;
  }

  /**
   * The hub an instruction goes to. With replicas, the agents of a case are
   * spread over them in the order the case lists its agents, so A and B of a
   * two-agent case talk to different hubs.
   */
  private hubUrlFor(instruction: MessageInitShape<typeof ClientCompatRequestSchema>["instruction"]): string {
    const urls = this.ctx.hub.urls();
    const agent = instruction?.value && "agent" in instruction.value ? instruction.value.agent : undefined;
    const k = agent === undefined ? -1 : this.testCase.agents.findIndex((name) => this.agentKey(name) === agent);
    return urls.length > 1 && k >= 0 ? urls[k % urls.length] : this.ctx.hub.url();
  }

  private async send(instruction: MessageInitShape<typeof ClientCompatRequestSchema>["instruction"]): Promise<ClientCompatResponse["result"]> {
    const request = create(ClientCompatRequestSchema, {
      testName: this.testCase.name,
      hubUrl: this.hubUrlFor(instruction),
      protocol: this.ctx.protocol,
      instruction,
    });
    const response = await this.ctx.executor.execute(request);
    if (response.result.case === "harnessError") throw new Error(`client could not carry out the step: ${response.result.value}`);
    return response.result;
  }

  private async runStep(step: Step): Promise<string[]> {
    const expect = step.expect;
    const times = Math.max(1, step.repeat);
    const started = Date.now();
    const failures: string[] = [];
    const outcomes: { ok: boolean; error?: RpcError }[] = [];
    for (let i = 1; i <= times && failures.length === 0; i++) {
      this.scope.set("i", i);
      const outcome = await this.perform(step);
      if (outcome.kind === "call" || outcome.kind === "streamCall") outcomes.push(outcome);
      if (outcome.kind === "calls") outcomes.push(...outcome.calls);
      if (!expect?.outcomes) failures.push(...checkOutcome(this.scope, outcome, expect));
      if (failures.length === 0) failures.push(...this.capture(step, outcome.view));
    }
    if (expect?.outcomes && failures.length === 0) failures.push(...checkOutcomeCounts(expect.outcomes, outcomes));
    const elapsed = Date.now() - started;
    if (expect && expect.maxDurationMs > 0 && elapsed > expect.maxDurationMs) {
      failures.push(`took ${elapsed} ms, expected at most ${expect.maxDurationMs} ms`);
    }
    return failures;
  }

  private async perform(step: Step): Promise<Outcome> {
    const { action } = step;
    const agent = this.agentKey(step.agent);
    switch (action.case) {
      case "call":
        return this.call(step.agent, agent, action.value);
      case "awaitCall": {
        const calls = [];
        const handles = action.value.handles.flatMap((raw) => {
          const name = this.scope.string(raw);
          if (!name.endsWith("*")) return [name];
          const matching = [...this.pending.keys()].filter((key) => key.startsWith(name.slice(0, -1)));
          if (matching.length === 0) throw new HarnessFault(`no started call matches "${name}"`);
          return matching;
        });
        for (const handle of handles) {
          const method = this.pending.get(handle);
          if (!method) throw new HarnessFault(`no call was started with handle "${handle}"`);
          this.pending.delete(handle);
          const result = await this.send({ case: "awaitCall", value: { handle: `${this.prefix}:${handle}` } });
          if (result.case !== "outcome") throw new HarnessFault(`await ${handle} answered ${result.case}, not an outcome`);
          calls.push(this.callOutcome(method, result.value, undefined));
        }
        if (calls.length === 1) return calls[0];
        return { kind: "calls", calls, view: { results: calls.map((c) => c.view) } };
      }
      case "openStream": {
        const { handle, request, auth, token } = action.value;
        if (this.streams.has(handle)) throw new HarnessFault(`stream "${handle}" is already open`);
        const json = this.scope.substitute(request ?? {});
        const subscribe = fromJson(SubscribeRequestSchema, json, { registry });
        this.expectAccepted(
          await this.send({
            case: "openStream",
            value: { handle: `${this.prefix}:${handle}`, agent, request: subscribe, auth, token: this.scope.string(token) },
          }),
        );
        this.streams.set(handle, { lastSeq: 0n, messageIds: new Set() });
        return { kind: "none", view: {} };
      }
      case "readStream":
        return this.readStream(action.value, step.expect?.stream);
      case "closeStream": {
        if (!this.streams.delete(action.value.handle)) throw new HarnessFault(`stream "${action.value.handle}" is not open`);
        this.expectAccepted(await this.send({ case: "closeStream", value: { handle: `${this.prefix}:${action.value.handle}` } }));
        return { kind: "none", view: {} };
      }
      case "sleep":
        await new Promise((resolve) => setTimeout(resolve, action.value.ms));
        return { kind: "none", view: {} };
      case "restartServer":
        await this.ctx.hub.restart(action.value.abrupt);
        return { kind: "none", view: {} };
      case "reflect":
        return this.reflect(agent, action.value);
      case "streamCall":
        return this.streamCall(agent, action.value);
      default:
        throw new HarnessFault("step has no action");
    }
  }

  private expectAccepted(result: ClientCompatResponse["result"]): void {
    if (result.case !== "accepted") throw new HarnessFault(`expected the client to accept the instruction, it answered ${result.case}`);
  }

  private async call(logicalAgent: string, agent: string, call: Call): Promise<Outcome> {
    const method = methodByName(call.method);
    const handle = this.scope.string(call.handle);
    const json = this.scope.substitute(call.request ?? {});
    let request;
    try {
      request = fromJson(method.input, json, { registry });
    } catch (err) {
      throw new HarnessFault(`request is not a valid ${method.input.typeName}: ${(err as Error).message}`);
    }
    const instruction = {
      agent,
      method: method.name,
      request: anyPack(method.input, request),
      auth: call.auth,
      token: this.scope.string(call.token),
      timeoutMs: call.timeoutMs,
      handle: handle === "" ? "" : `${this.prefix}:${handle}`,
    };
    if (this.pending.has(handle)) throw new HarnessFault(`handle "${handle}" is already in use`);
    const result = await this.send({ case: "call", value: instruction });
    if (handle !== "") {
      this.expectAccepted(result);
      this.pending.set(handle, method);
      return { kind: "none", view: {} };
    }
    if (result.case !== "outcome") throw new HarnessFault(`call answered ${result.case}, not an outcome`);
    return this.callOutcome(method, result.value, logicalAgent);
  }

  /**
   * A call with a request stream: the client sends every request, half-closes
   * and collects every response. The view is {responses: [...]}, plus the
   * error's code, message and details when the call ended with one.
   */
  private async streamCall(agent: string, call: StreamCall): Promise<Outcome> {
    const method = streamingMethodByName(call.method);
    const requests = call.requests.map((raw, i) => {
      try {
        return anyPack(method.input, fromJson(method.input, this.scope.substitute(raw), { registry }));
      } catch (err) {
        if (err instanceof PlaceholderError) throw err;
        throw new HarnessFault(`requests[${i}] is not a valid ${method.input.typeName}: ${(err as Error).message}`);
      }
    });
    const result = await this.send({
      case: "streamCall",
      value: { agent, method: method.name, requests, auth: call.auth, token: this.scope.string(call.token), timeoutMs: call.timeoutMs },
    });
    if (result.case !== "streamOutcome") throw new HarnessFault(`stream call answered ${result.case}, not a stream outcome`);
    const responses = result.value.responses.map((packed, i) => {
      const response = anyUnpack(packed, method.output);
      if (!response) throw new HarnessFault(`response ${i + 1} is ${packed.typeUrl}, not ${method.output.typeName}`);
      return toJson(method.output, response, jsonOptions);
    });
    const { error } = result.value;
    if (error) return { kind: "streamCall", ok: false, error, view: { ...(errorView(error) as object), responses } };
    return { kind: "streamCall", ok: true, view: { responses } };
  }

  /**
   * A call made by reflection. The client's response JSON is read back with the
   * contract's own output type, strictly (an unknown field fails the step), so
   * cases match it like any response.
   */
  private async reflect(agent: string, reflect: Reflect): Promise<Outcome> {
    const path = this.scope.string(reflect.method);
    const [serviceName, methodName] = path.replace(/^\//, "").split("/");
    const method = registry.getService(serviceName ?? "")?.methods.find((m) => m.name === methodName);
    if (!method) throw new HarnessFault(`"${path}" is not a method the runner knows`);
    const result = await this.send({
      case: "reflect",
      value: {
        agent,
        method: path,
        requestJson: JSON.stringify(this.scope.substitute(reflect.request ?? {})),
        auth: reflect.auth,
        token: this.scope.string(reflect.token),
        timeoutMs: reflect.timeoutMs,
      },
    });
    if (result.case !== "reflection") throw new HarnessFault(`reflect answered ${result.case}, not a reflection outcome`);
    const outcome = result.value;
    const head = {
      services: [...outcome.services].sort(),
      reflection_service: outcome.reflectionService,
      input_type: outcome.inputType,
      output_type: outcome.outputType,
    };
    switch (outcome.result.case) {
      case "failure":
        throw new Error(`the client could not call by reflection: ${outcome.result.value}`);
      case "error":
        return { kind: "call", ok: false, error: outcome.result.value, view: { ...head, ...(errorView(outcome.result.value) as object) } };
      case "responseJson": {
        let response;
        try {
          response = fromJson(method.output, JSON.parse(outcome.result.value) as JsonValue, { registry });
        } catch (err) {
          throw new Error(`the client's response JSON is not a ${method.output.typeName}: ${(err as Error).message}: ${outcome.result.value.slice(0, 400)}`);
        }
        return { kind: "call", ok: true, view: { ...head, response: toJson(method.output, response, jsonOptions) } };
      }
      default:
        throw new HarnessFault("the reflection outcome holds neither a response, an error nor a failure");
    }
  }

  private callOutcome(method: DescMethodUnary, outcome: CallOutcome, agent: string | undefined) {
    const { result } = outcome;
    if (result.case === "error") return { kind: "call" as const, ok: false, error: result.value, view: errorView(result.value) };
    if (result.case !== "response") throw new HarnessFault("the call outcome holds neither a response nor an error");
    const response = anyUnpack(result.value, method.output);
    if (!response) throw new HarnessFault(`response is ${result.value.typeUrl}, not ${method.output.typeName}`);
    const view = toJson(method.output, response, jsonOptions);
    if (method.name === "Register" && agent !== undefined && agent !== "") {
      const registered = view as { session_token: JsonValue; head_seq: JsonValue };
      this.scope.set(`${agent}.token`, registered.session_token);
      this.scope.set(`${agent}.head_seq`, registered.head_seq);
    }
    return { kind: "call" as const, ok: true, view };
  }

  private async readStream(read: ReadStream, expectation: StreamExpectation | undefined): Promise<Outcome> {
    const state = this.streams.get(read.handle);
    if (!state) throw new HarnessFault(`stream "${read.handle}" is not open`);
    const select = streamSelector(this.scope, expectation);
    const target = read.minEvents || expectation?.events.length || expectation?.count || 0;
    const untilEnded = expectation?.error !== undefined;
    const includes = (expectation?.includes ?? []).map((pattern) => this.pattern(pattern));
    const waiting = target > 0 || read.untilCaughtUp || untilEnded || includes.length > 0;
    const deadline = Date.now() + (read.timeoutMs || (waiting ? READ_WAIT_MS : READ_QUIET_MS));
    const collected: StreamRead = {
      events: [],
      eventViews: [],
      selected: [],
      caughtUp: false,
      caughtUpSeq: undefined,
      ended: false,
      error: undefined,
      orderFailures: [],
    };
    const handle = `${this.prefix}:${read.handle}`;
    for (;;) {
      const remaining = Math.max(0, deadline - Date.now());
      const result = await this.send({
        case: "readStream",
        value: { handle, minItems: waiting ? 1 : 0, untilCaughtUp: false, timeoutMs: remaining },
      });
      if (result.case !== "streamItems") throw new HarnessFault(`read_stream answered ${result.case}, not stream items`);
      collectItems(collected, result.value, select);
      if (collected.ended) break;
      const done =
        waiting &&
        !untilEnded &&
        collected.selected.length >= target &&
        (!read.untilCaughtUp || collected.caughtUp) &&
        includes.every((pattern) => collected.selected.some((event) => matches(pattern, event)));
      if (done || Date.now() >= deadline) break;
    }
    collected.orderFailures = checkStreamOrder(read.handle, state, collected);
    const view: JsonValue = {
      events: collected.eventViews,
      selected: collected.selected,
      messages: collected.eventViews.filter((e) => (e as { message?: JsonValue }).message !== undefined).map((e) => (e as { message: JsonValue }).message),
      caught_up: collected.caughtUpSeq !== undefined ? { seq: String(collected.caughtUpSeq) } : null,
      ended: collected.ended,
      error: collected.error ? errorView(collected.error) : null,
    };
    return { kind: "stream", read: collected, view };
  }

  private pattern(value: Value): JsonValue {
    return this.scope.substitute(toJson(ValueSchema, value));
  }

  private capture(step: Step, view: JsonValue): string[] {
    const failures: string[] = [];
    for (const [rawName, rawPath] of Object.entries(step.capture)) {
      const name = this.scope.string(rawName);
      const path = this.scope.string(rawPath);
      const value = lookup(view, path);
      if (value === undefined || value === null) failures.push(`capture ${name}: nothing at ${path} in ${JSON.stringify(view).slice(0, 600)}`);
      else this.scope.set(name, value);
    }
    return failures;
  }

  private async cleanUp(): Promise<void> {
    for (const handle of this.streams.keys()) {
      await this.send({ case: "closeStream", value: { handle: `${this.prefix}:${handle}` } }).catch(() => undefined);
    }
    this.streams.clear();
    for (const handle of this.pending.keys()) {
      await this.send({ case: "awaitCall", value: { handle: `${this.prefix}:${handle}` } }).catch(() => undefined);
    }
    this.pending.clear();
  }
}
