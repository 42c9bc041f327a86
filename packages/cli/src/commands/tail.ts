import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Command } from "commander";
import { EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type LinkerEvent, LinkerClient, type LinkerError } from "@linker/client";
import { contextOf } from "../command-context.js";
import { clientOptions } from "../connect.js";
import { eventLine } from "../event-text.js";
import { protoJson } from "../output.js";
import { EVENT_TYPE_NAMES, EVENT_TYPE_OF, type EventTypeName, eventTypesArg, revisionArg, sinceArg } from "../parsers.js";
import { describeError } from "../report-error.js";

interface TailOptions {
  types?: EventTypeName[];
  afterSeq?: bigint;
  since?: Date;
}

/** `linker tail`: the live event stream, resumable, until Ctrl-C. */
export function tailCommand(): Command {
  return new Command("tail")
    .summary("print events as they arrive, until Ctrl-C")
    .description("Print events as they arrive (messages, presence, memory, tasks, receipts) until Ctrl-C")
    .option("--types <kinds>", `only these kinds: ${EVENT_TYPE_NAMES.join(", ")} (comma-separated, repeatable)`, eventTypesArg)
    .option("--after-seq <seq>", "first replay every event after this seq (resume where an earlier tail stopped)", revisionArg)
    .option("--since <when>", "first replay events from this long ago (10m, 2h) or since this date", sinceArg)
    .addHelpText(
      "after",
      `
Each line starts with the event's seq; \`--after-seq <last seq>\` continues where a
stopped tail left off. The stream survives hub restarts and takeovers: it reconnects
and resumes without gaps or duplicates. Tail keeps you online while it runs; with
--auto-hub it also serves the hub when none answers. Ctrl-C exits with status 0.

Examples:
  linker tail
  linker tail --types message,task
  linker tail --since 1h --json | jq -c 'select(.message)'
  linker tail --after-seq 1041`,
    )
    .action(async (opts: TailOptions, command: Command) => {
      const { settings, out } = contextOf(command);
      const replay = opts.afterSeq !== undefined || opts.since !== undefined;
      const autoHub = settings.autoHub ?? false;
      const client = new LinkerClient(
        clientOptions(settings, {
          subscribe: true,
          eventTypes: opts.types?.map((type) => EVENT_TYPE_OF[type]),
          afterSeq: opts.afterSeq ?? (opts.since ? 0n : undefined),
          autoHub,
          retryBudgetMs: 20_000,
          maxRetryDelayMs: 3_000,
        }),
      );
      const wanted: LinkerEvent["type"][] = [...(opts.types ?? EVENT_TYPE_NAMES), "caught-up", "disconnected", "recovered", "error"];
      const events = client.events({ types: wanted });
      let stopping = false;
      let failure: LinkerError | undefined;
      const stop = () => {
        stopping = true;
        void client.close();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        try {
          await client.connect();
        } catch (err) {
          if (stopping) return;
          throw err;
        }
        let live = false;
        let broken = false;
        for await (const event of events) {
          switch (event.type) {
            case "caught-up":
              if (!live) out.note(`linker: tailing events of "${settings.name}" at ${event.url}${client.hosting ? " (serving the hub here)" : ""}; Ctrl-C stops`);
              live = true;
              break;
            case "disconnected":
              if (!broken) out.note(`linker: lost the stream from ${event.url} (${describeError(event.error).message}); reconnecting`);
              broken = true;
              break;
            case "recovered":
              out.note(`linker: stream back from ${event.url} after ${event.durationMs} ms${event.hubChanged ? " (new hub)" : ""}`);
              broken = false;
              break;
            case "error":
              failure = event.error;
              void client.close();
              break;
            case "message":
            case "presence":
            case "memory":
            case "task":
            case "receipt":
              if (!live && !replay) break;
              if (opts.since && event.event.at && timestampDate(event.event.at) < opts.since) break;
              out.data(protoJson(EventSchema, event.event));
              out.text(eventLine(event));
              break;
          }
        }
        if (failure && !stopping) throw failure;
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        await client.close();
      }
    });
}
