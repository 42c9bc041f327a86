import { writeFileSync, rmSync, statfsSync } from "node:fs";
import { pino } from "pino";
import { hubConfig } from "/work/wt-security/packages/hub/src/config.ts";
import { createHub } from "/work/wt-security/packages/hub/src/hub.ts";
import { openStore } from "/work/wt-security/packages/hub/src/start-hub.ts";
const config = hubConfig({ dataDir: "/tmp/security-full/data", limits: { maxMemoryBytes: 1e9 } });
const store = await openStore(config);
const hub = createHub({ config, store, logger: pino({ level: "warn" }) });
await hub.ready;
const caller = { name: "x", token: "t" };
await hub.memory.put(caller, { key: `first`, value: "v" } as any);
const free = statfsSync("/tmp/security-full").bavail * statfsSync("/tmp/security-full").bsize;
writeFileSync("/tmp/security-full/filler", Buffer.alloc(free - 300_000));
let i = 0;
const t0 = Date.now();
try { for (;;) { await hub.memory.put(caller, { key: `k${i++}`, value: "v".repeat(4000) } as any); } } catch (e) { console.log("write failed after", i, (e as Error).message, Date.now() - t0, "ms"); }
let t = Date.now();
try { console.log("read", (await hub.memory.get({ key: "first" } as any)).key, Date.now() - t, "ms"); } catch (e) { console.log("read failed", (e as Error).message, Date.now() - t); }
rmSync("/tmp/security-full/filler", { force: true });
t = Date.now();
try { await hub.memory.put(caller, { key: "again", value: "v" } as any); console.log("write after space returns ok", Date.now() - t); } catch (e) { console.log("write3 failed", (e as Error).message, Date.now() - t); }
await hub.close();
