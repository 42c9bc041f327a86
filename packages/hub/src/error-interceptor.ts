import { Code, type Interceptor } from "@connectrpc/connect";
import type { HubLogger } from "./logger.js";
import { toConnectError } from "./errors.js";

/**
 * Turns every error an RPC throws, including errors in the middle of a
 * stream, into a ConnectError with the code that `toConnectError` assigns,
 * and logs unexpected ones.
 */
export function createErrorInterceptor(logger: HubLogger): Interceptor {
  const convert = (err: unknown, procedure: string) => {
    const error = toConnectError(err);
    if (error.code === Code.Internal || error.code === Code.Unknown) {
      logger.error({ err, procedure }, "rpc failed unexpectedly");
    }
    return error;
  };
  return (next) => async (req) => {
    const procedure = req.url;
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw convert(err, procedure);
    }
    if (!res.stream) return res;
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          throw convert(err, procedure);
        }
      })(),
    };
  };
}
