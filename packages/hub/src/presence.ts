import type { Clock } from "./clock.js";

interface PresenceState {
  streams: number;
  heartbeatAt: number;
  lastSeenAt: number;
  online: boolean;
}

/**
 * Tracks who is online on this hub: an instance is online while it has an
 * open Subscribe stream here or its last heartbeat here is younger than the
 * TTL. Every change between online and offline is reported once through
 * `onChange` (SharedPresence turns them into leases every hub sees).
 */
export class Presence {
  private readonly states = new Map<string, PresenceState>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly onChange: (name: string, online: boolean) => void,
  ) {}

  /** Whether `name` is online now. */
  isOnline(name: string): boolean {
    const state = this.states.get(name);
    return state !== undefined && this.alive(state, this.clock.now());
  }

  /** When the hub last heard from `name` in this process, if ever. */
  lastSeen(name: string): number | undefined {
    const state = this.states.get(name);
    if (!state) return undefined;
    return state.streams > 0 ? this.clock.now() : state.lastSeenAt;
  }

  /** A Subscribe stream of `name` opened. */
  streamOpened(name: string): void {
    const state = this.state(name);
    state.streams += 1;
    state.lastSeenAt = this.clock.now();
    this.update(name, state);
  }

  /** A Subscribe stream of `name` closed. */
  streamClosed(name: string): void {
    const state = this.state(name);
    state.streams = Math.max(0, state.streams - 1);
    state.lastSeenAt = this.clock.now();
    this.update(name, state);
  }

  /** `name` sent a heartbeat (or registered). */
  heartbeat(name: string): void {
    const state = this.state(name);
    state.heartbeatAt = state.lastSeenAt = this.clock.now();
    this.update(name, state);
  }

  /** `name` ended its session: offline now, whatever its streams. */
  leave(name: string): void {
    const state = this.states.get(name);
    if (!state) return;
    this.states.delete(name);
    if (state.online) this.onChange(name, false);
  }

  /** Every name online here now. */
  onlineNames(): string[] {
    const now = this.clock.now();
    return [...this.states].filter(([, state]) => this.alive(state, now)).map(([name]) => name);
  }

  /** Marks offline every instance whose heartbeat expired and that has no stream. */
  sweep(): void {
    const now = this.clock.now();
    for (const [name, state] of this.states) this.update(name, state, now);
  }

  private state(name: string): PresenceState {
    let state = this.states.get(name);
    if (!state) this.states.set(name, (state = { streams: 0, heartbeatAt: -Infinity, lastSeenAt: 0, online: false }));
    return state;
  }

  private alive(state: PresenceState, now: number): boolean {
    return state.streams > 0 || now - state.heartbeatAt < this.ttlMs;
  }

  private update(name: string, state: PresenceState, now = this.clock.now()): void {
    const online = this.alive(state, now);
    if (online === state.online) return;
    state.online = online;
    this.onChange(name, online);
  }
}
