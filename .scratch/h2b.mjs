import http2 from "node:http2";
const s = http2.connect("http://127.0.0.1:47521", { maxSendHeaderBlockLength: 1024*1024 });
const filler = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`x-filler-${i}`, "y".repeat(25 * 1024)]));
const st = s.request({ ":method": "POST", ":path": "/linker.v1.LinkerService/ListMessages", "content-type": "application/json", ...filler });
st.on("response", (h) => console.log(h[":status"])); st.on("error", (e) => console.log(e.message)); st.on("close", () => s.close()); st.end("{}");
