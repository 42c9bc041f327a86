import { create, type DescMethodBiDiStreaming, type DescMethodClientStreaming, type DescMethodUnary, type Message } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  Auth,
  type CallInstruction,
  type CallOutcome,
  CallOutcomeSchema,
  type ClientCompatRequest,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
  Protocol,
  type RpcError,
  type StreamCallInstruction,
  type StreamCallOutcome,
  StreamCallOutcomeSchema,
} from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { LinkerService, type SubscribeResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { ClientExecutor } from "../../protocol/client-executor.js";
import { reflectAndCall } from "./reflect.js";
import { rpcErrorOf } from "./rpc-error.js";

/** Deadline of a unary call whose instruction gives none. */
const DEFAULT_CALL_TIMEOUT_MS = 10_000;

interface OpenStream {
  items: SubscribeResponse[];
  ended: boolean;
  error: RpcError | undefined;
  abort: AbortController;
  changed: Set<() => void>;
  done: Promise<void>;
}

type UnaryFn = (request: Message, options: { headers: Headers; timeoutMs: number }) => Promise<Message>;
type CallOptions = { headers: Headers; timeoutMs: number };
type BidiFn = (requests: AsyncIterable<Message>, options: CallOptions) => AsyncIterable<Message>;
type ClientStreamFn = (requests: AsyncIterable<Message>, options: CallOptions) => Promise<Message>;

/** Thrown for instructions the executor cannot carry out; reported as harness_error. */
class HarnessError extends Error {}

/**
 * The transport for a protocol: Connect and gRPC-Web over HTTP/1.1, except
 * for calls that stream requests (`duplex`), which those protocols can only
 * make over HTTP/2; gRPC always over HTTP/2.
 */
function transportFor(hubUrl: string, protocol: Protocol, duplex: boolean): Transport {
  const httpVersion = duplex ? "2" : "1.1";
  switch (protocol) {
    case Protocol.GRPC:
      return createGrpcTransport({ baseUrl: hubUrl });
    case Protocol.GRPC_WEB:
      return createGrpcWebTransport({ baseUrl: hubUrl, httpVersion });
    case Protocol.CONNECT:
    case Protocol.UNSPECIFIED:
      return createConnectTransport({ baseUrl: hubUrl, httpVersion });
    default:
      throw new HarnessError(`unsupported protocol ${String(protocol)}`);
  }
}

/**
 * The TypeScript client under test: executes instructions with the generated
 * Connect client for linker.v1.LinkerService, and `reflect` with descriptors
 * from the hub's gRPC reflection only. It keeps each agent's session token
 * from its Register response and sends it as a Bearer header; it checks
 * nothing itself.
 */
export function createTsClientExecutor(): ClientExecutor {
  const clients = new Map<string, Client<typeof LinkerService>>();
  const grpcTransports = new Map<string, Transport>();
  const tokens = new Map<string, string>();
  const calls = new Map<string, Promise<CallOutcome>>();
  const streams = new Map<string, OpenStream>();

  const clientFor = (req: ClientCompatRequest, duplex = false) => {
    const key = `${req.protocol} ${req.hubUrl} ${duplex}`;
    let client = clients.get(key);
    if (!client) clients.set(key, (client = createClient(LinkerService, transportFor(req.hubUrl, req.protocol, duplex))));
    return client;
  };

  const headersFor = (agent: string, auth: Auth, token: string) => {
    const headers = new Headers();
    const value = auth === Auth.NONE ? undefined : auth === Auth.TOKEN ? token : tokens.get(agent);
    if (value !== undefined && value !== "") headers.set("authorization", `Bearer ${value}`);
    return headers;
  };

  const call = async (client: Client<typeof LinkerService>, instruction: CallInstruction): Promise<CallOutcome> => {
    const method = LinkerService.methods.find((m) => m.name === instruction.method);
    if (!method || method.methodKind !== "unary") throw new HarnessError(`"${instruction.method}" is not a unary LinkerService method`);
    if (!instruction.request) throw new HarnessError("call without a request");
    const unary = method as DescMethodUnary;
    const request = anyUnpack(instruction.request, unary.input);
    if (!request) throw new HarnessError(`request is ${instruction.request.typeUrl}, not ${unary.input.typeName}`);
    const fn = (client as unknown as Record<string, UnaryFn>)[method.localName];
    try {
      const response = await fn(request, {
        headers: headersFor(instruction.agent, instruction.auth, instruction.token),
        timeoutMs: instruction.timeoutMs || DEFAULT_CALL_TIMEOUT_MS,
      });
      if (method.name === "Register") tokens.set(instruction.agent, (response as unknown as { sessionToken: string }).sessionToken);
      return create(CallOutcomeSchema, { result: { case: "response", value: anyPack(unary.output, response) } });
    } catch (err) {
      return create(CallOutcomeSchema, { result: { case: "error", value: rpcErrorOf(err) } });
    }
  };

  /** Sends every request, half-closes (the request iterable ends) and collects every response. */
  const streamCall = async (client: Client<typeof LinkerService>, instruction: StreamCallInstruction): Promise<StreamCallOutcome> => {
    const found = LinkerService.methods.find((m) => m.name === instruction.method);
    if (!found || (found.methodKind !== "client_streaming" && found.methodKind !== "bidi_streaming")) {
      throw new HarnessError(`"${instruction.method}" is not a LinkerService method that takes a stream of requests`);
    }
    const method = found as DescMethodClientStreaming | DescMethodBiDiStreaming;
    const requests = instruction.requests.map((packed, i) => {
      const request = anyUnpack(packed, method.input);
      if (!request) throw new HarnessError(`request ${i + 1} is ${packed.typeUrl}, not ${method.input.typeName}`);
      return request;
    });
    async function* input(): AsyncIterable<Message> {
      yield* requests;
    }
    const options = { headers: headersFor(instruction.agent, instruction.auth, instruction.token), timeoutMs: instruction.timeoutMs || DEFAULT_CALL_TIMEOUT_MS };
    const responses: Message[] = [];
    const fn = (client as unknown as Record<string, unknown>)[method.localName];
    try {
      if (method.methodKind === "bidi_streaming") {
        for await (const response of (fn as BidiFn)(input(), options)) responses.push(response);
      } else {
        responses.push(await (fn as ClientStreamFn)(input(), options));
      }
      return create(StreamCallOutcomeSchema, { responses: responses.map((r) => anyPack(method.output, r)) });
    } catch (err) {
      return create(StreamCallOutcomeSchema, { responses: responses.map((r) => anyPack(method.output, r)), error: rpcErrorOf(err) });
    }
  };

  const waitForChange = (stream: OpenStream, ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stream.changed.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stream.changed.add(done);
    });

  const perform = async (req: ClientCompatRequest): Promise<ClientCompatResponse["result"]> => {
    const accepted = { case: "accepted" as const, value: { $typeName: "linker.conformance.v1.Accepted" as const } };
    const { instruction } = req;
    switch (instruction.case) {
      case "call": {
        const pending = call(clientFor(req), instruction.value);
        if (instruction.value.handle === "") return { case: "outcome", value: await pending };
        if (calls.has(instruction.value.handle)) throw new HarnessError(`handle "${instruction.value.handle}" is in use`);
        calls.set(instruction.value.handle, pending);
        return accepted;
      }
      case "awaitCall": {
        const pending = calls.get(instruction.value.handle);
        if (!pending) throw new HarnessError(`no call has handle "${instruction.value.handle}"`);
        calls.delete(instruction.value.handle);
        return { case: "outcome", value: await pending };
      }
      case "openStream": {
        const { handle, agent, auth, token, request } = instruction.value;
        if (streams.has(handle)) throw new HarnessError(`stream handle "${handle}" is in use`);
        const client = clientFor(req);
        const abort = new AbortController();
        const stream: OpenStream = { items: [], ended: false, error: undefined, abort, changed: new Set(), done: Promise.resolve() };
        const notify = () => {
          for (const wake of [...stream.changed]) wake();
        };
        stream.done = (async () => {
          try {
            for await (const item of client.subscribe(request ?? {}, { headers: headersFor(agent, auth, token), signal: abort.signal })) {
              stream.items.push(item);
              notify();
            }
          } catch (err) {
            if (!abort.signal.aborted) stream.error = rpcErrorOf(err);
          } finally {
            stream.ended = true;
            notify();
          }
        })();
        streams.set(handle, stream);
        return accepted;
      }
      case "readStream": {
        const { handle, minItems, untilCaughtUp, timeoutMs } = instruction.value;
        const stream = streams.get(handle);
        if (!stream) throw new HarnessError(`no stream has handle "${handle}"`);
        const deadline = Date.now() + timeoutMs;
        const ready = () =>
          stream.ended ||
          (minItems > 0 && stream.items.length >= minItems) ||
          (untilCaughtUp && stream.items.some((item) => item.item.case === "caughtUp"));
        while (!ready() && Date.now() < deadline) await waitForChange(stream, deadline - Date.now());
        const items = stream.items.splice(0);
        return { case: "streamItems", value: { $typeName: "linker.conformance.v1.StreamItems", items, ended: stream.ended, error: stream.error } };
      }
      case "closeStream": {
        const stream = streams.get(instruction.value.handle);
        if (!stream) throw new HarnessError(`no stream has handle "${instruction.value.handle}"`);
        streams.delete(instruction.value.handle);
        stream.abort.abort();
        await stream.done;
        return accepted;
      }
      case "streamCall":
        return { case: "streamOutcome", value: await streamCall(clientFor(req, true), instruction.value) };
      case "reflect": {
        // Reflection is a gRPC bidirectional stream, so this always speaks gRPC (h2c).
        const { agent, auth, token } = instruction.value;
        let transport = grpcTransports.get(req.hubUrl);
        if (!transport) grpcTransports.set(req.hubUrl, (transport = createGrpcTransport({ baseUrl: req.hubUrl })));
        return { case: "reflection", value: await reflectAndCall(transport, instruction.value, headersFor(agent, auth, token)) };
      }
      default:
        throw new HarnessError("the request carries no instruction");
    }
  };

  return {
    async execute(req) {
      let result: ClientCompatResponse["result"];
      try {
        result = await perform(req);
      } catch (err) {
        if (!(err instanceof HarnessError)) throw err;
        result = { case: "harnessError", value: err.message };
      }
      return create(ClientCompatResponseSchema, { testName: req.testName, result });
    },
    async close() {
      for (const stream of streams.values()) stream.abort.abort();
      await Promise.allSettled([...[...streams.values()].map((s) => s.done), ...calls.values()]);
      streams.clear();
      calls.clear();
    },
  };
}
