import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import {
  BroadcastRequestSchema,
  BroadcastResponseSchema,
  type PublishRequest,
  type PublishResponse,
  PublishResponseSchema,
  SendRequestSchema,
  SendResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { Code } from "@connectrpc/connect";
import type { Caller } from "./caller.js";
import { toConnectError } from "./errors.js";
import type { Mailbox } from "./mailbox.js";

/** Requests of one Publish stream stored but not yet answered before the hub stops reading more. */
export const PUBLISH_WINDOW = 512;

const validator = createValidator();

/** The request's own rules, as Send and Broadcast check them; undefined when it is valid. */
function violation(schema: DescMessage, message: MessageShape<DescMessage>): string | undefined {
  const result = validator.validate(schema, message);
  return result.kind === "valid" ? undefined : result.error.message;
}

/** One queued answer: resolves with the response once the message is stored (or refused). */
type Pending = Promise<PublishResponse>;

/** Stores one published message and shapes its answer; never rejects. */
async function store(mailbox: Mailbox, caller: Caller, request: PublishRequest): Promise<PublishResponse> {
  const { sequence } = request;
  const answer = (outcome: PublishResponse["outcome"]) => create(PublishResponseSchema, { sequence, outcome });
  const refuse = (code: Code, message: string) => answer({ case: "error", value: { $typeName: "linker.v1.PublishError", code, message } });
  try {
    const { message } = request;
    if (message.case === "send") {
      const invalid = violation(SendRequestSchema, message.value);
      if (invalid) return refuse(Code.InvalidArgument, invalid);
      return answer({ case: "sent", value: create(SendResponseSchema, await mailbox.send(caller, message.value)) });
    }
    if (message.case === "broadcast") {
      const invalid = violation(BroadcastRequestSchema, message.value);
      if (invalid) return refuse(Code.InvalidArgument, invalid);
      return answer({ case: "broadcasted", value: create(BroadcastResponseSchema, await mailbox.broadcast(caller, message.value)) });
    }
    return refuse(Code.InvalidArgument, "a PublishRequest needs send or broadcast");
  } catch (err) {
    const error = toConnectError(err);
    return refuse(error.code, error.rawMessage);
  }
}

/**
 * The Publish stream of `caller`: every request is handed to the mailbox as
 * it arrives, without waiting for the ones before it to commit, so requests
 * that arrive together share a commit; mailbox transactions run in arrival
 * order, so per-recipient order holds. Answers come out in request order,
 * each once its message is durable. While PUBLISH_WINDOW answers wait, the
 * stream stops reading, and HTTP/2 flow control holds the sender back.
 */
export async function* publishStream(mailbox: Mailbox, caller: Caller, requests: AsyncIterable<PublishRequest>): AsyncGenerator<PublishResponse> {
  const queue: Pending[] = [];
  const input = requests[Symbol.asyncIterator]();
  let reading: Promise<IteratorResult<PublishRequest>> | undefined;
  let ended = false;
  try {
    while (!ended || queue.length > 0) {
      if (!ended && queue.length < PUBLISH_WINDOW) {
        reading ??= input.next();
        // Take every request that is already here before answering, so they share commits.
        const next = queue.length === 0 ? await reading : await Promise.race([reading, queue[0].then(() => undefined)]);
        if (next !== undefined) {
          reading = undefined;
          if (next.done) ended = true;
          else queue.push(store(mailbox, caller, next.value));
          continue;
        }
      }
      yield await queue.shift()!;
    }
  } finally {
    if (!ended) await input.return?.();
  }
}
