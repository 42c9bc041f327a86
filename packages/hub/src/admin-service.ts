import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import {
  CreateKeyResponseSchema,
  type LinkerService,
  ListAuditEntriesResponseSchema,
  ListKeysResponseSchema,
  ReleaseNameResponseSchema,
  RevokeKeyResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { actorOf, type Credential, credentialKey } from "./access/credential.js";
import { FailedPreconditionError } from "./errors.js";
import type { Hub } from "./hub.js";
import { nodeRequestKey, peerOf } from "./observe/peer.js";

/** Audit entries per page when a request leaves the limit 0. */
const DEFAULT_AUDIT_PAGE = 100;

function context(ctx: HandlerContext): { credential: Credential; peer: string; keyId: string } {
  const credential = ctx.values.get(credentialKey);
  return { credential, peer: peerOf(ctx.values.get(nodeRequestKey)).address ?? "", keyId: credential.kind === "key" ? credential.key.id : "" };
}

/**
 * The admin RPCs: issue, list and revoke agent keys, release any name, read
 * the audit log. The auth interceptor lets only admin keys reach them; every
 * change is recorded in the audit log in the transaction that makes it.
 */
export function createAdminService(hub: Hub): Pick<ServiceImpl<typeof LinkerService>, "createKey" | "listKeys" | "revokeKey" | "releaseName" | "listAuditEntries"> {
  const { deps, keys, audit, registry } = hub;
  return {
    async createKey(req, ctx) {
      const { credential, peer, keyId } = context(ctx);
      const now = deps.clock.now();
      const created = await deps.store.transaction(async (tx) => {
        const issued = await keys.create(tx, req, actorOf(credential), now);
        await audit.inTransaction(tx, {
          kind: AuditKind.KEY_CREATED,
          keyId: issued.key.id,
          actor: actorOf(credential),
          peer,
          method: "CreateKey",
          detail: `key "${issued.key.label}" (${issued.key.id}), role ${issued.key.role}, names ${issued.key.names.join(", ") || "none"}${keyId ? `, by key ${keyId}` : ""}`,
        });
        return issued;
      });
      return create(CreateKeyResponseSchema, created);
    },
    async listKeys(req) {
      return create(ListKeysResponseSchema, { keys: await deps.store.transaction((tx) => tx.credentials.listKeys(req.includeRevoked)) });
    },
    async revokeKey(req, ctx) {
      const { credential, peer } = context(ctx);
      const now = deps.clock.now();
      const result = await deps.store.transaction(async (tx) => {
        const key = await keys.find(tx, req.key);
        if (key.revokedAt) throw new FailedPreconditionError(`the key "${key.label}" (${key.id}) is already revoked`);
        key.revokedAt = timestampFromMs(now);
        await tx.credentials.updateKey(key);
        const sessionsEnded = await registry.endSessionsOfKey(tx, key.id, now);
        await audit.inTransaction(tx, {
          kind: AuditKind.KEY_REVOKED,
          keyId: key.id,
          actor: actorOf(credential),
          peer,
          method: "RevokeKey",
          detail: `key "${key.label}": ${sessionsEnded} sessions ended`,
        });
        return { key, sessionsEnded };
      });
      return create(RevokeKeyResponseSchema, result);
    },
    async releaseName(req, ctx) {
      const { credential, peer } = context(ctx);
      return create(ReleaseNameResponseSchema, await registry.release(req.name, credential, peer));
    },
    async listAuditEntries(req) {
      const limit = req.limit === 0 ? DEFAULT_AUDIT_PAGE : req.limit;
      const rows = await deps.store.transaction((tx) => tx.audit.list({ afterId: req.afterId, kinds: req.kinds, limit: limit + 1 }));
      return create(ListAuditEntriesResponseSchema, { entries: rows.slice(0, limit), hasMore: rows.length > limit });
    },
  };
}
