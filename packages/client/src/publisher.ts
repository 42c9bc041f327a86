import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { timeOrderedId } from "@linker/protocol";
import {
  type BroadcastRequestSchema,
  type LinkerService,
  type PublishRequest,
  PublishRequestSchema,
  type PublishResponse,
  type SendRequestSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { isHubFailure } from "./hub-failure.js";
import { LinkerError, toLinkerError } from "./linker-error.js";

/** One message for `publishAll`: a direct message or a broadcast. */
export type Publication = { send: MessageInitShape<typeof SendRequestSchema> } | { broadcast: MessageInitShape<typeof BroadcastRequestSchema> };

/** How `publishAll` behaves when the stream breaks. */
export interface PublishOptions {
  /** How long to keep resuming after breaks (default 20 s). */
  retryBudgetMs?: number;
  /** Waits between attempts. */
  backoff?: BackoffOptions;
  /** Called after the stream broke because of the hub, before resuming (moves to another hub URL, or waits for a takeover). */
  recover?: () => Promise<unknown>;
  /** Called with each answer as it arrives (progress). */
  onAnswer?: (answer: PublishResponse) => void;
}

/** The request of one publication, with an idempotency key so a resent one is stored once. */
function requestOf(publication: Publication, sequence: number): PublishRequest {
  if ("send" in publication) {
    const send = { ...publication.send, idempotencyKey: publication.send.idempotencyKey || timeOrderedId() };
    return create(PublishRequestSchema, { sequence: BigInt(sequence), message: { case: "send", value: send } });
  }
  const broadcast = { ...publication.broadcast, idempotencyKey: publication.broadcast.idempotencyKey || timeOrderedId() };
  return create(PublishRequestSchema, { sequence: BigInt(sequence), message: { case: "broadcast", value: broadcast } });
}

async function* from(requests: readonly PublishRequest[], start: number): AsyncIterable<PublishRequest> {
  for (let i = start; i < requests.length; i++) yield requests[i];
}

/**
 * Stores many messages through one Publish stream, each answered once it is
 * durable, in order: much cheaper for the hub than a Send per message. When
 * the stream breaks (the hub went away, a failover), it opens a new one and
 * sends again what was not yet answered; every request carries an
 * idempotency key, so a message the hub stored before the break is found
 * again, not stored twice. Resolves with one answer per publication, in
 * order (a refused one carries its error).
 */
export async function publishAll(rpc: Client<typeof LinkerService>, publications: readonly Publication[], options: PublishOptions = {}): Promise<PublishResponse[]> {
  const requests = publications.map((publication, i) => requestOf(publication, i));
  const answers: PublishResponse[] = [];
  const backoff = new Backoff(options.backoff);
  const deadline = Date.now() + (options.retryBudgetMs ?? 20_000);
  while (answers.length < requests.length) {
    try {
      for await (const answer of rpc.publish(from(requests, answers.length))) {
        if (Number(answer.sequence) !== answers.length) {
          throw new LinkerError(`the hub answered publication ${answer.sequence} where ${answers.length} was due`, Code.Internal, { rpc: "Publish" });
        }
        answers.push(answer);
        options.onAnswer?.(answer);
        backoff.reset();
      }
      if (answers.length < requests.length) throw new LinkerError("the hub ended the Publish stream early", Code.Unavailable, { rpc: "Publish" });
    } catch (err) {
      if (!isHubFailure(err) || Date.now() >= deadline) throw toLinkerError(err, { rpc: "Publish" });
      await options.recover?.().catch(() => undefined);
      await sleep(backoff.next());
    }
  }
  return answers;
}
