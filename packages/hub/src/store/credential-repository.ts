import type { AgentKey } from "@linker/protocol/gen/linker/v1/credential_pb.js";

/** An issued key as stored: its public record and the hash of its secret. */
export interface KeyRecord {
  /** The key (no secret). */
  key: AgentKey;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  secretHash: string;
}

/** Issued agent keys. */
export interface CredentialRepository {
  /** Stores a new key. */
  insertKey(record: KeyRecord): Promise<void>;
  /** Replaces a key's record (revocation, last use); its secret hash stays. */
  updateKey(key: AgentKey): Promise<void>;
  /** The key with this id. */
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** The key whose secret hashes to `secretHash`. */
  findBySecretHash(secretHash: string): Promise<KeyRecord | undefined>;
  /** Every key, oldest first; revoked ones only when asked. */
  listKeys(includeRevoked: boolean): Promise<AgentKey[]>;
}
