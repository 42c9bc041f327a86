import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { LinkerService, type PutMemoryRequest, type SendRequest, SendResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { callerKey } from "../../packages/hub/src/caller.js";

/** Deliberate faults that prove the conformance suite can fail. */
export interface HubFaults {
  /** Answer every Nth Send as if stored, without storing it (0 = off). */
  dropEveryNthMessage: number;
  /** Drop expected_revision from PutMemory, so compare-and-set silently overwrites. */
  ignoreMemoryRevision: boolean;
  /** Swap each pair of Publish answers (the second comes first), so answers leave request order. */
  swapPublishAnswers: boolean;
}

/** The answers of a stream with each pair swapped; a last odd one comes last. */
async function* swappedPairs<T>(answers: AsyncIterable<T>): AsyncIterable<T> {
  let held: T | undefined;
  let holding = false;
  for await (const answer of answers) {
    if (!holding) {
      held = answer;
      holding = true;
      continue;
    }
    yield answer;
    yield held as T;
    holding = false;
  }
  if (holding) yield held as T;
}

/**
 * Interceptors that break a hub on purpose; only the conformance suite's
 * server under test installs them, after the hub's own authentication and
 * validation. A dropped Send is answered with a plausible stored message.
 */
export function faultInterceptors(faults: HubFaults): Interceptor[] {
  let sends = 0;
  return [
    (next) => async (req) => {
      if (req.service.typeName !== LinkerService.typeName) return next(req);
      if (req.method.name === LinkerService.method.send.name && faults.dropEveryNthMessage > 0 && ++sends % faults.dropEveryNthMessage === 0) {
        const send = req.message as SendRequest;
        const id = randomUUID();
        const message = create(MessageSchema, {
          id,
          sender: req.contextValues.get(callerKey)?.name ?? "",
          recipient: send.recipient,
          kind: send.kind === MessageKind.UNSPECIFIED ? MessageKind.TEXT : send.kind,
          body: send.body,
          threadId: send.threadId || id,
          idempotencyKey: send.idempotencyKey,
          sentAt: timestampNow(),
        });
        return {
          stream: false,
          service: req.service,
          method: req.method,
          header: new Headers(),
          trailer: new Headers(),
          message: create(SendResponseSchema, { message, duplicate: false, recipientOnline: true }),
        } as Awaited<ReturnType<typeof next>>;
      }
      if (req.method.name === LinkerService.method.putMemory.name && faults.ignoreMemoryRevision) {
        delete (req.message as PutMemoryRequest).expectedRevision;
      }
      if (req.method.name === LinkerService.method.publish.name && faults.swapPublishAnswers) {
        const response = (await next(req)) as StreamResponse;
        return { ...response, message: swappedPairs(response.message) } as Awaited<ReturnType<typeof next>>;
      }
      return next(req);
    },
  ];
}
