import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";

/** A session as stored: the name it acts as and the key it was registered with ("" for none). */
export interface SessionRecord {
  /** Instance name. */
  name: string;
  /** Id of the agent key the session was opened with, or "". */
  keyId: string;
}

/** Registered instances and their sessions. */
export interface IdentityRepository {
  /** The instance with exactly this name, if registered (presence is not stored). */
  getInstance(name: string): Promise<Instance | undefined>;
  /** Whether an instance with exactly this name is registered (cheaper than reading it). */
  hasInstance(name: string): Promise<boolean>;
  /** The registered name that equals `name` regardless of case, if any. */
  nameTaken(name: string): Promise<string | undefined>;
  /** Every registered instance, by name. */
  listInstances(): Promise<Instance[]>;
  /** Up to `limit` instances whose names sort after `afterName`, by name. */
  listInstancesAfter(afterName: string, limit: number): Promise<Instance[]>;
  /** Number of registered instances. */
  countInstances(): Promise<number>;
  /** Every registered instance's name, in name order (cheaper than reading them). */
  instanceNames(): Promise<string[]>;
  /** Creates or replaces an instance (the key it is registered under stays). */
  putInstance(instance: Instance): Promise<void>;
  /** Deletes an instance and all its sessions; returns how many sessions ended. */
  deleteInstance(name: string): Promise<number>;
  /** The id of the key the name is registered under, or "" (none, or not registered). */
  instanceKey(name: string): Promise<string>;
  /** Records the key a registered name is held under ("" for none). */
  setInstanceKey(name: string, keyId: string): Promise<void>;

  /** The session a token hash belongs to. */
  getSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Stores a session of `name` created at `at`, opened with key `keyId` ("" for none). */
  putSession(tokenHash: string, name: string, at: number, keyId?: string): Promise<void>;
  /** Deletes one session. */
  deleteSession(tokenHash: string): Promise<void>;
  /** Deletes every session opened with `keyId`; returns the names they acted as (one per session). */
  deleteSessionsOfKey(keyId: string): Promise<string[]>;
}
