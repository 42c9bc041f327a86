import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { timingSafeEqual } from "node:crypto";
import { type AgentKey, AgentKeySchema, KeyRole } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { CreateKeyRequest } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { isWellFormedAgentKey, newAgentKey } from "@linker/protocol";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../errors.js";
import type { HubDeps } from "../hub-deps.js";
import { hashToken } from "../sessions.js";
import type { StoreTx } from "../store/store.js";
import { type Credential, keyBinds } from "./credential.js";

/** Why a bearer token is refused, in words a client can act on. */
const UNKNOWN_KEY = "unknown or revoked agent key: ask the hub's operator for a key (linker key create)";

function sameSecret(given: string, expected: string | undefined): boolean {
  if (expected === undefined || expected === "") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The hub's credentials: agent keys issued by admins (stored as hashes in the
 * store, so every replica sees the same keys and revocations), the shared hub
 * secret and the hub's own admin keys. Identifies a bearer token and decides
 * which key a name is reserved for.
 */
export class KeyRing {
  constructor(
    private readonly deps: HubDeps,
    private readonly hubAdminKeys: readonly string[],
  ) {}

  /** What `bearer` is. Unknown and revoked keys, and wrong secrets where one is expected, are "invalid". */
  async identify(bearer: string | undefined): Promise<Credential> {
    if (bearer === undefined) return { kind: "anonymous" };
    if (this.hubAdminKeys.some((key) => sameSecret(bearer, key))) return { kind: "hub-admin" };
    if (sameSecret(bearer, this.deps.config.hubSecret)) return { kind: "secret" };
    if (isWellFormedAgentKey(bearer)) {
      const record = await this.deps.store.transaction((tx) => tx.credentials.findBySecretHash(hashToken(bearer)));
      if (!record || record.key.revokedAt) return { kind: "invalid", reason: UNKNOWN_KEY };
      return { kind: "key", key: record.key };
    }
    if (bearer.startsWith("lkk_")) return { kind: "invalid", reason: "malformed agent key: it should be lkk_<12 hex>_<43 characters>, as linker key create printed it" };
    return { kind: "anonymous" };
  }

  /** The key a name is reserved for (the first valid key that binds it), inside `tx`. */
  async reservedFor(tx: StoreTx, name: string): Promise<AgentKey | undefined> {
    return (await tx.credentials.listKeys(false)).find((key) => keyBinds(key, name));
  }

  /** Issues a key; returns it with its secret (never stored). */
  async create(tx: StoreTx, req: CreateKeyRequest, createdBy: string, now: number): Promise<{ key: AgentKey; secret: string }> {
    const role = req.role === KeyRole.UNSPECIFIED ? KeyRole.AGENT : req.role;
    const names = req.names.length > 0 ? req.names : role === KeyRole.AGENT ? [req.label] : [];
    if (role === KeyRole.OBSERVER && names.length > 0) throw new InvalidArgumentError("an observer key is read-only and binds no names");
    if ((await tx.credentials.listKeys(false)).some((key) => key.label.toLowerCase() === req.label.toLowerCase())) {
      throw new AlreadyExistsError(`a key labelled "${req.label}" exists; revoke it first or pick another label`);
    }
    const { id, secret } = newAgentKey();
    const key = create(AgentKeySchema, { id, label: req.label, role, names, createdAt: timestampFromMs(now), createdBy });
    await tx.credentials.insertKey({ key, secretHash: hashToken(secret) });
    return { key, secret };
  }

  /** The valid key with this id or label, or NOT_FOUND. */
  async find(tx: StoreTx, idOrLabel: string): Promise<AgentKey> {
    const byId = await tx.credentials.getKey(idOrLabel);
    if (byId) return byId.key;
    const byLabel = (await tx.credentials.listKeys(false)).find((key) => key.label.toLowerCase() === idOrLabel.toLowerCase());
    if (!byLabel) throw new NotFoundError(`no key with id or label "${idOrLabel}"; see ListKeys (linker key ls)`);
    return byLabel;
  }
}
