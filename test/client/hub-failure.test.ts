import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { isHubFailure, LinkerError, NoStoredSessionError, neverReachedHub, toLinkerError } from "@linker/client";

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:3847`), { code });
}

describe("hub failure classification", () => {
  it("treats refused connections as failures the hub never saw", () => {
    const err = new ConnectError("connect ECONNREFUSED", Code.Unavailable, undefined, undefined, nodeError("ECONNREFUSED"));
    expect(isHubFailure(err)).toBe(true);
    expect(neverReachedHub(err)).toBe(true);
  });

  it("treats broken connections as failures the hub may have seen", () => {
    const reset = new ConnectError("aborted", Code.Aborted, undefined, undefined, nodeError("ECONNRESET"));
    const canceled = new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
    for (const err of [reset, canceled]) {
      expect(isHubFailure(err)).toBe(true);
      expect(neverReachedHub(err)).toBe(false);
    }
  });

  it("does not treat the hub's own answers as hub failures", () => {
    const noResponders = new ConnectError("no responders", Code.Unavailable, { "content-type": "application/grpc" });
    expect(isHubFailure(noResponders)).toBe(false);
    expect(isHubFailure(new ConnectError("nope", Code.NotFound, { "content-type": "application/grpc" }))).toBe(false);
    expect(isHubFailure(new ConnectError("canceled by you", Code.Canceled))).toBe(false);
  });

  it("gives each kind of failure its own advice", () => {
    const refused = toLinkerError(new ConnectError("refused", Code.Unavailable, undefined, undefined, nodeError("ECONNREFUSED")), {
      rpc: "Send",
      hubUrl: "http://127.0.0.1:1",
    });
    expect(refused.hint).toMatch(/no Linker hub answered at http:\/\/127\.0\.0\.1:1/);
    const broke = toLinkerError(new ConnectError("reset", Code.Aborted, undefined, undefined, nodeError("ECONNRESET")), { rpc: "CreateTask", hubUrl: "http://h" });
    expect(broke.hint).toMatch(/may or may not have taken effect/);
    const stream = toLinkerError(new ConnectError("reset", Code.Aborted, undefined, undefined, nodeError("ECONNRESET")), { rpc: "Subscribe", hubUrl: "http://h" });
    expect(stream.hint).toMatch(/resumes it/);
    expect(toLinkerError(refused, { rpc: "other" })).toBe(refused);
    expect(refused).toBeInstanceOf(LinkerError);
    expect(new ConnectError("plain", Code.Internal)).not.toBeInstanceOf(LinkerError);
    // A subclass's instanceof accepts its own instances only.
    expect(refused).not.toBeInstanceOf(NoStoredSessionError);
    expect(new NoStoredSessionError("a", undefined)).toBeInstanceOf(LinkerError);
  });
});
