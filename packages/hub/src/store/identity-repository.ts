import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";

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
  /** Every registered instance's name, in name order (cheaper than reading them). */
  instanceNames(): Promise<string[]>;
  /** Creates or replaces an instance. */
  putInstance(instance: Instance): Promise<void>;
  /** Deletes an instance and all its sessions. */
  deleteInstance(name: string): Promise<void>;

  /** The instance name a session token hash belongs to. */
  getSession(tokenHash: string): Promise<string | undefined>;
  /** Stores a session of `name` created at `at`. */
  putSession(tokenHash: string, name: string, at: number): Promise<void>;
  /** Deletes one session. */
  deleteSession(tokenHash: string): Promise<void>;
}
