import http2 from "node:http2";
const server = http2.createServer({ settings: { maxHeaderListSize: 1024 * 1024 }, maxSessionMemory: 32 }, (req, res) => { res.writeHead(200); res.end("ok"); });
server.on("session", (s) => s.on("frameError", (...a) => console.log("server frameError", a)));
server.listen(47520, () => {
  const s = http2.connect("http://127.0.0.1:47520", { maxSendHeaderBlockLength: 1024*1024, maxSessionMemory: 64, settings: { maxHeaderListSize: 1024 * 1024 } });
  s.on("remoteSettings", (st) => console.log("remote", st.maxHeaderListSize));
  const go = (n) => new Promise((done) => { const st = s.request({ ":path": "/", "x-f": "y".repeat(n) }); st.on("response", (h) => done(h[":status"])); st.on("error", (e) => done(e.message)); st.end(); });
  (async () => { console.log(await go(10)); console.log(await go(100 * 1024)); console.log(await go(10)); s.close(); server.close(); })();
});
