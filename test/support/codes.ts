import { type Code, ConnectError } from "@connectrpc/connect";

/** The Connect code a call fails with, or undefined when it succeeds. */
export async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** The ConnectError a call fails with; throws when it succeeds. */
export async function errorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}
