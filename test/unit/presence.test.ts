import { describe, expect, it } from "vitest";
import { Presence } from "../../packages/hub/src/presence.js";
import { FakeClock } from "../support/test-hub.js";

function tracker() {
  const clock = new FakeClock();
  const changes: Array<[string, boolean]> = [];
  const presence = new Presence(10_000, clock, (name, online) => changes.push([name, online]));
  return { clock, changes, presence };
}

describe("Presence", () => {
  it("is online while a heartbeat is younger than the TTL and reports each change once", () => {
    const { clock, changes, presence } = tracker();
    presence.heartbeat("a");
    presence.heartbeat("a");
    expect(presence.isOnline("a")).toBe(true);
    clock.advance(9_999);
    presence.sweep();
    expect(changes).toEqual([["a", true]]);
    clock.advance(2);
    presence.sweep();
    presence.sweep();
    expect(presence.isOnline("a")).toBe(false);
    expect(changes).toEqual([
      ["a", true],
      ["a", false],
    ]);
  });

  it("keeps an instance with an open stream online regardless of heartbeats", () => {
    const { clock, changes, presence } = tracker();
    presence.streamOpened("a");
    presence.streamOpened("a");
    clock.advance(60_000);
    presence.sweep();
    presence.streamClosed("a");
    expect(presence.isOnline("a")).toBe(true);
    presence.streamClosed("a");
    expect(presence.isOnline("a")).toBe(false);
    expect(changes).toEqual([
      ["a", true],
      ["a", false],
    ]);
  });

  it("takes an instance offline at once when it leaves", () => {
    const { changes, presence } = tracker();
    presence.heartbeat("a");
    presence.leave("a");
    expect(presence.isOnline("a")).toBe(false);
    expect(changes.at(-1)).toEqual(["a", false]);
  });
});
