import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { Interceptor } from "@connectrpc/connect";
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
      return next(req);
    },
  ];
}
