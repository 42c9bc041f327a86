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
import { streamEvents } from "./event-stream.js";
import { publishStream } from "./publish-stream.js";
import type { Hub } from "./hub.js";
import { createObserverService } from "./observe/observer-service.js";
import { createAdminService } from "./admin-service.js";
import { credentialKey } from "./access/credential.js";
import { nodeRequestKey, peerOf } from "./observe/peer.js";

/** The caller of an open read made without a session. */
const NOBODY: Caller = { name: "", token: "" };

function caller(ctx: HandlerContext): Caller {
  const value = ctx.values.get(callerKey);
  if (!value) throw new ConnectError("this call acts as an instance: call Register and send its session_token as 'Authorization: Bearer <token>'", Code.Unauthenticated);
  return value;
}

/**
 * The LinkerService RPCs. Each handler takes the caller from the session
 * (never from the request), delegates to the hub's domain, and shapes the
 * response; validation, authentication and error codes are interceptors.
 */
export function createLinkerService(hub: Hub): ServiceImpl<typeof LinkerService> {
  const { registry, mailbox, asker, memory, tasks, deps } = hub;
  return {
    async register(req, ctx) {
      const grant = { credential: ctx.values.get(credentialKey), peer: peerOf(ctx.values.get(nodeRequestKey)).address ?? "" };
      return create(RegisterResponseSchema, await registry.register(req, grant));
    },
    async unregister(req, ctx) {
      await registry.unregister(caller(ctx), req);
      return create(UnregisterResponseSchema);
    },
    async heartbeat(_req, ctx) {
      return create(HeartbeatResponseSchema, await registry.heartbeat(caller(ctx)));
    },
    async setStatus(req, ctx) {
      return create(SetStatusResponseSchema, { instance: await registry.setStatus(caller(ctx), req) });
    },
    async listInstances(req) {
      return create(ListInstancesResponseSchema, await registry.list(req));
    },

    async send(req, ctx) {
      return create(SendResponseSchema, await mailbox.send(caller(ctx), req));
    },
    async broadcast(req, ctx) {
      return create(BroadcastResponseSchema, await mailbox.broadcast(caller(ctx), req));
    },
    async *publish(requests, ctx) {
      yield* publishStream(mailbox, caller(ctx), requests);
    },
    async *subscribe(req, ctx) {
      yield* streamEvents(deps, mailbox, caller(ctx).name, req.afterSeq, req.types, ctx.signal);
    },
    async ack(req, ctx) {
      return create(AckResponseSchema, await mailbox.ack(caller(ctx), req));
    },
    async listMessages(req, ctx) {
      return create(ListMessagesResponseSchema, await mailbox.list(caller(ctx), req));
    },
    async getConversation(req, ctx) {
      return create(GetConversationResponseSchema, await mailbox.conversation(caller(ctx), req));
    },
    async ask(req, ctx) {
      return create(AskResponseSchema, await asker.ask(caller(ctx), req, ctx.signal));
    },

    async getMemory(req) {
      return create(GetMemoryResponseSchema, { entry: await memory.get(req) });
    },
    async putMemory(req, ctx) {
      return create(PutMemoryResponseSchema, { entry: await memory.put(caller(ctx), req) });
    },
    async deleteMemory(req, ctx) {
      return create(DeleteMemoryResponseSchema, { revision: await memory.delete(caller(ctx), req) });
    },
    async listMemory(req) {
      return create(ListMemoryResponseSchema, await memory.list(req));
    },

    async createTask(req, ctx) {
      return create(CreateTaskResponseSchema, { task: await tasks.create(caller(ctx), req) });
    },
    async updateTask(req, ctx) {
      return create(UpdateTaskResponseSchema, { task: await tasks.update(caller(ctx), req) });
    },
    async claimTask(req, ctx) {
      return create(ClaimTaskResponseSchema, { task: await tasks.claim(caller(ctx), req) });
    },
    async getTask(req) {
      return create(GetTaskResponseSchema, { task: await tasks.get(req) });
    },
    async listTasks(req, ctx) {
      // The caller's own scopes need a session; every task and the open ones are an open read.
      const own = req.scope === TaskScope.ASSIGNED_TO_ME || req.scope === TaskScope.ASSIGNED_BY_ME;
      return create(ListTasksResponseSchema, await tasks.list(own ? caller(ctx) : (ctx.values.get(callerKey) ?? NOBODY), req));
    },
    async cancelTask(req, ctx) {
      return create(CancelTaskResponseSchema, { task: await tasks.cancel(caller(ctx), req) });
    },

    ...createObserverService(hub),
    ...createAdminService(hub),
  };
}
