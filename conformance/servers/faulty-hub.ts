/**
 * A Linker hub with deliberate faults, for proving that conformance cases can
 * fail: the same startHub as `linker hub`, its settings from the same flags,
 * plus the fault interceptors. Prints "linker hub listening on URL" like
 * `linker hub` and stops on SIGTERM.
 *
 * Usage: node --conditions=linker-source --import tsx conformance/servers/faulty-hub.ts
 *          [--fault-drop-every-nth=N] [--fault-ignore-memory-revision] [--fault-swap-publish-answers]
 *          [linker hub flags...]
 */
import { parseArgs } from "node:util";
import { createLogger, HUB_SETTINGS, hubConfig, hubConfigInput, startHub } from "@linker/hub";
import { faultInterceptors } from "./fault-interceptors.js";

const flagName = (flag: string) => flag.replace(/^--/, "").replace(/ .*$/, "");
const { values } = parseArgs({
  strict: true,
  options: {
    ...Object.fromEntries(HUB_SETTINGS.map((setting) => [flagName(setting.flag), { type: "string" as const }])),
    "fault-drop-every-nth": { type: "string" },
    "fault-ignore-memory-revision": { type: "boolean" },
    "fault-swap-publish-answers": { type: "boolean" },
  },
}) as { values: Record<string, string | boolean | undefined> };
const settings = new Map(
  HUB_SETTINGS.flatMap((setting) => {
    const text = values[flagName(setting.flag)];
    return typeof text === "string" ? [[setting.key, setting.parse(text)] as const] : [];
  }),
);
const config = hubConfig({ ...hubConfigInput(settings, String(values["data-dir"] ?? "")), store: values["data-dir"] ? "sqlite" : "memory" });
const running = await startHub(config, {
  logger: createLogger(process.env.LINKER_LOG_LEVEL ?? "warn"),
  interceptors: faultInterceptors({
    dropEveryNthMessage: Number(values["fault-drop-every-nth"] ?? 0),
    ignoreMemoryRevision: values["fault-ignore-memory-revision"] === true,
    swapPublishAnswers: values["fault-swap-publish-answers"] === true,
  }),
});
process.stdout.write(`linker hub listening on ${running.url} (faulty)\n`);
process.once("SIGTERM", () => void running.close().then(() => process.exit(0)));
