/**
 * A scriptable agent process, used by the failover tests and the takeover
 * bench: a LinkerClient with autoHub on a shared data folder. It prints one
 * JSON object per line on stdout (ready, every message received, every send's
 * outcome, connection events) and reads commands from stdin, one per line, run
 * in order:
 *
 *   send <to> <body>                      one direct message
 *   burst <to> <count> <prefix>           <count> messages, one after another, bodies <prefix>-<i>
 *   flow <interval-ms> <peer>[,<peer>…]   from now on one message every <interval-ms>, to the peers in turn
 *   stop                                  ends the flow once the send in progress finished, then prints {"type":"flow-stopped"}
 *   ping <token>                          answers {"type":"pong"} once earlier commands finished
 *   checkpoint                            writes the session cursor now, then prints {"type":"checkpointed"}
 *   exit                                  closes the client (and its hub, if it serves it) and exits
 *
 * It exits when stdin closes, so it never outlives the process that drives it.
 *
 * Usage: node --import tsx scripts/agent-process.ts <name> <hub-url> <data-dir>
 */
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { hubStarter, LinkerClient } from "@linker/client";

const [name, hubUrl, dataDir] = process.argv.slice(2);
if (!name || !hubUrl || !dataDir) {
  process.stderr.write("usage: agent-process.ts <name> <hub-url> <data-dir>\n");
  process.exit(2);
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, name, at: Date.now() }, (_key, value) => (typeof value === "bigint" ? value.toString() : value))}\n`);
}

const hubLogger = pino({ level: process.env.LINKER_LOG_LEVEL ?? "warn", base: { component: "linker-hub", agent: name } }, pino.destination(2));
const client = new LinkerClient({
  name,
  hubs: hubUrl,
  autoHub: { dataDir, start: hubStarter({ logger: hubLogger }) },
  clientKind: "agent-process",
});

client.on("message", ({ message, event }) => print({ type: "message", id: message.id, sender: message.sender, body: message.body, seq: event.seq }));
client.on("caught-up", ({ seq, replayed }) => print({ type: "caught-up", seq, replayed }));
client.on("disconnected", ({ error }) => print({ type: "disconnected", code: error.codeName, reason: error.reason }));
client.on("hub-changed", ({ from, to, reason }) => print({ type: "hub-changed", from, to, reason, hosting: client.hosting }));
client.on("recovered", ({ durationMs, hubChanged, hosting }) =>
  print({ type: "recovered", durationMs, hubChanged, hosting, lastRecoveryMs: client.stats.lastRecoveryMs }),
);
client.on("error", ({ error }) => print({ type: "error", error: error.toJSON() }));

async function send(to: string, body: string): Promise<boolean> {
  try {
    const response = await client.send({ recipient: to, body });
    print({ type: "sent", id: response.message?.id, to, body, duplicate: response.duplicate });
    return true;
  } catch (err) {
    print({ type: "send-failed", to, body, error: String(err) });
    return false;
  }
}

let flowing = false;
let flow: Promise<void> = Promise.resolve();

/** Sends one message every `intervalMs` (one at a time: a send the hub holds up delays the next). */
async function runFlow(intervalMs: number, peers: string[]): Promise<void> {
  let sent = 0;
  let failed = 0;
  for (let i = 0; flowing; i++) {
    const started = performance.now();
    if (await send(peers[i % peers.length], `${name}-${i}`)) sent += 1;
    else failed += 1;
    const left = intervalMs - (performance.now() - started);
    if (left > 0 && flowing) await sleep(left);
  }
  print({ type: "flow-stopped", sent, failed });
}

async function run(line: string): Promise<void> {
  const [command, ...args] = line.trim().split(/\s+/);
  switch (command) {
    case "send":
      await send(args[0], args.slice(1).join(" "));
      break;
    case "burst": {
      const count = Number(args[1]);
      for (let i = 0; i < count; i++) await send(args[0], `${args[2]}-${i}`);
      print({ type: "burst-done", prefix: args[2], count });
      break;
    }
    case "flow":
      if (!flowing) {
        flowing = true;
        flow = runFlow(Number(args[0]), args[1].split(","));
      }
      break;
    case "stop":
      flowing = false;
      await flow;
      break;
    case "checkpoint":
      await client.checkpoint();
      print({ type: "checkpointed", cursor: client.cursor });
      break;
    case "ping":
      print({ type: "pong", token: args[0] });
      break;
    case "exit":
      flowing = false;
      await flow;
      await client.close();
      print({ type: "closed" });
      process.exit(0);
      break;
    case undefined:
    case "":
      break;
    default:
      print({ type: "unknown-command", line });
  }
}

try {
  const registered = await client.connect();
  print({ type: "ready", hosting: client.hosting, url: client.hubUrl, reclaimed: registered.reclaimed, cursor: client.cursor });
} catch (err) {
  print({ type: "connect-failed", error: String(err) });
  process.exit(1);
}

let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on("line", (line) => {
    queue = queue.then(() => run(line));
  })
  .on("close", () => process.exit(0));
