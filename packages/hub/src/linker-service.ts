import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  AckResponseSchema,
  AskResponseSchema,
  BroadcastResponseSchema,
  CancelTaskResponseSchema,
  ClaimTaskResponseSchema,
  CreateTaskResponseSchema,
  DeleteMemoryResponseSchema,
  GetConversationResponseSchema,
  GetMemoryResponseSchema,
  GetTaskResponseSchema,
  HeartbeatResponseSchema,
  type LinkerService,
  ListInstancesResponseSchema,
  ListMemoryResponseSchema,
  ListMessagesResponseSchema,
  ListTasksResponseSchema,
  PutMemoryResponseSchema,
  RegisterResponseSchema,
  SendResponseSchema,
  SetStatusResponseSchema,
  TaskScope,
  UnregisterResponseSchema,
  UpdateTaskResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type Caller, callerKey } from "./caller.js";
import { InvalidArgumentError } from "./errors.js";
import { streamEvents } from "./event-stream.js";
import type { Hub } from "./hub.js";

/** Page size when a request leaves it 0. */
const DEFAULT_PAGE = 50;

function caller(ctx: HandlerContext): Caller {
  const value = ctx.values.get(callerKey);
  if (!value) throw new ConnectError("this call acts as an instance: call Register and send its session_token as 'Authorization: Bearer <token>'", Code.Unauthenticated);
  return value;
}

function cursor(token: string): bigint {
  if (token === "") return 0n;
  if (!/^[0-9]{1,20}$/.test(token)) throw new InvalidArgumentError("page_token is not one this hub issued; start again without it");
  return BigInt(token);
}

/**
 * The LinkerService RPCs. Each handler takes the caller from the session
 * (never from the request), delegates to the hub's domain, and shapes the
 * response; validation, authentication and error codes are interceptors.
 */
export function createLinkerService(hub: Hub): ServiceImpl<typeof LinkerService> {
  const { registry, mailbox, asker, memory, tasks, deps } = hub;
  return {
    async register(req) {
      return create(RegisterResponseSchema, await registry.register(req));
    },
    async unregister(req, ctx) {
      await registry.unregister(caller(ctx).name, req.forget);
      return create(UnregisterResponseSchema);
    },
    async heartbeat(_req, ctx) {
      return create(HeartbeatResponseSchema, await registry.heartbeat(caller(ctx).name));
    },
    async setStatus(req, ctx) {
      return create(SetStatusResponseSchema, { instance: await registry.setStatus(caller(ctx).name, req.status) });
    },
    async listInstances(req) {
      return create(ListInstancesResponseSchema, { instances: await registry.list(req) });
    },

    async send(req, ctx) {
      const result = await mailbox.send(caller(ctx).name, req.recipient, req);
      return create(SendResponseSchema, result);
    },
    async broadcast(req, ctx) {
      const result = await mailbox.broadcast(caller(ctx).name, { ...req, replyTo: "" }, req.onlineOnly);
      return create(BroadcastResponseSchema, result);
    },
    async *subscribe(req, ctx) {
      yield* streamEvents(deps, mailbox, caller(ctx).name, req.afterSeq, req.types, ctx.signal);
    },
    async ack(req, ctx) {
      return create(AckResponseSchema, await mailbox.ack(caller(ctx).name, req.messageIds));
    },
    async listMessages(req, ctx) {
      const result = await mailbox.list(caller(ctx).name, {
        unreadOnly: req.unreadOnly,
        markRead: req.markRead,
        sender: req.sender,
        afterSeq: req.afterSeq,
        limit: req.limit === 0 ? DEFAULT_PAGE : req.limit,
      });
      return create(ListMessagesResponseSchema, result);
    },
    async getConversation(req, ctx) {
      const viewer = caller(ctx).name;
      const selector = req.selector.case === "peer" ? { peer: req.selector.value } : { threadId: req.selector.value ?? "" };
      const limit = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
      const page = await mailbox.conversation(viewer, selector, cursor(req.pageToken), limit);
      return create(GetConversationResponseSchema, {
        messages: page.messages,
        nextPageToken: page.hasMore ? String(page.cursor) : "",
      });
    },
    async ask(req, ctx) {
      const { name } = caller(ctx);
      const result = await asker.ask(
        name,
        req.recipient,
        { body: req.body, attachment: req.attachment, threadId: req.threadId, metadata: req.metadata },
        req.timeoutMs,
        ctx.signal,
      );
      return create(AskResponseSchema, result);
    },

    async getMemory(req) {
      return create(GetMemoryResponseSchema, { entry: await memory.get(req.key) });
    },
    async putMemory(req, ctx) {
      const entry = await memory.put(caller(ctx).name, req.key, req.value, req.expectedRevision, req.ttlSeconds);
      return create(PutMemoryResponseSchema, { entry });
    },
    async deleteMemory(req, ctx) {
      return create(DeleteMemoryResponseSchema, { revision: await memory.delete(caller(ctx).name, req.key, req.expectedRevision) });
    },
    async listMemory(req) {
      const page = await memory.list(req.prefix, req.pageToken, req.pageSize === 0 ? 100 : req.pageSize, req.keysOnly);
      return create(ListMemoryResponseSchema, page);
    },

    async createTask(req, ctx) {
      return create(CreateTaskResponseSchema, { task: await tasks.create(caller(ctx).name, req) });
    },
    async updateTask(req, ctx) {
      return create(UpdateTaskResponseSchema, { task: await tasks.update(caller(ctx).name, req) });
    },
    async claimTask(req, ctx) {
      return create(ClaimTaskResponseSchema, { task: await tasks.claim(caller(ctx).name, req.taskId) });
    },
    async getTask(req) {
      return create(GetTaskResponseSchema, { task: await tasks.get(req.taskId) });
    },
    async listTasks(req, ctx) {
      // The caller's own scopes need a session; every task and the open ones are an open read.
      const ownScope = req.scope === TaskScope.ASSIGNED_TO_ME || req.scope === TaskScope.ASSIGNED_BY_ME;
      const viewer = ownScope ? caller(ctx).name : "";
      const page = await tasks.list(viewer, req.scope, req.statuses, req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize, req.pageToken);
      return create(ListTasksResponseSchema, page);
    },
    async cancelTask(req, ctx) {
      return create(CancelTaskResponseSchema, { task: await tasks.cancel(caller(ctx).name, req.taskId, req.reason) });
    },
  };
}
