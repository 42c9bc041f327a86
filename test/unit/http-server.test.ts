import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { type DualServer, listenDual } from "../../packages/hub/src/http-server.js";

describe("one port for HTTP/1.1 and h2c", () => {
  let server: DualServer;
  afterEach(async () => {
    await server.close(100);
  });

  it("serves both protocols from the same handler", async () => {
    server = await listenDual((req, res) => {
      res.end(`http/${req.httpVersion}`);
    }, "127.0.0.1", 0);
    const h1 = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(await h1.text()).toBe("http/1.1");
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ":path": "/" });
      let data = "";
      req.setEncoding("utf8").on("data", (chunk: string) => (data += chunk));
      req.on("end", () => resolve(data)).on("error", reject);
      req.end();
    });
    session.close();
    expect(body).toBe("http/2.0");
  });
});
