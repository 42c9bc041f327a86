import { create } from "@bufbuild/protobuf";
import { Command } from "commander";
import { DeleteMemoryResponseSchema, ListMemoryResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { withClient, withReader } from "../connect.js";
import { ExitCode } from "../exit-codes.js";
import { textArg } from "../message-input.js";
import { oneLine, protoJson, table } from "../output.js";
import { integerArg, revisionArg, secondsArg } from "../parsers.js";
import { ago } from "../time-text.js";

const KEY_HELP = "key: letters, digits and _ . : / @ - (slashes make namespaces for `memory ls <prefix>`)";

function getCommand(): Command {
  return new Command("get")
    .description("Print a key's value (exit status 2 when the key does not exist)")
    .argument("<key>", KEY_HELP)
    .addHelpText(
      "after",
      `
Examples:
  linker memory get api/port
  linker memory get api/port --json | jq -r .revision   # revision for --if-revision`,
    )
    .action(async (key: string, _opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      const entry = await withReader(settings, "none", (client) => client.getMemory({ key }));
      if (!entry) throw new CliError(`memory key "${key}" does not exist`, ExitCode.notFound, "list keys with `linker memory ls`");
      out.data(protoJson(MemoryEntrySchema, entry));
      out.text(entry.value);
    });
}

function putCommand(): Command {
  return new Command("put")
    .description("Write a key; with --if-revision only if nobody changed it meanwhile (exit status 4 otherwise)")
    .argument("<key>", KEY_HELP)
    .argument("[value...]", 'the value; "-" or nothing reads it from stdin')
    .option("--if-revision <n>", "write only if the key is at this revision; 0 = only if it does not exist", revisionArg)
    .option("--ttl <duration>", "delete the key after this long (30s, 10m, 2h, 7d)", secondsArg)
    .addHelpText(
      "after",
      `
Examples:
  linker memory put api/port 8080
  linker memory put --if-revision 0 locks/deploy "$USER"   # create only: a lock
  linker memory put --if-revision 12 api/port 8081         # compare-and-set
  linker memory put notes/today - < notes.md --ttl 1d`,
    )
    .action(async (key: string, words: string[], opts: { ifRevision?: bigint; ttl?: number }, command: Command) => {
      const { settings, out } = contextOf(command);
      const value = await textArg(words, "value", { stdinWhenEmpty: true, allowEmpty: true });
      const entry = await withClient(settings, (client) => client.putMemory({ key, value, expectedRevision: opts.ifRevision, ttlSeconds: opts.ttl }));
      out.data(protoJson(MemoryEntrySchema, entry));
      out.text(`${entry.key}: revision ${entry.revision}`);
    });
}

function lsCommand(): Command {
  return new Command("ls")
    .description("List keys under a prefix, in key order")
    .argument("[prefix]", "only keys starting with this", "")
    .option("--keys-only", "leave values out")
    .option("--limit <n>", "at most this many keys (1-1000)", integerArg(1, 1000), 100)
    .option("--page <token>", "the next page, from the token the previous page printed")
    .addHelpText(
      "after",
      `
Examples:
  linker memory ls
  linker memory ls api/ --keys-only`,
    )
    .action(async (prefix: string, opts: { keysOnly?: boolean; limit: number; page?: string }, command: Command) => {
      const { settings, out } = contextOf(command);
      const page = await withReader(settings, "none", (client) => client.listMemory({ prefix, keysOnly: opts.keysOnly ?? false, pageSize: opts.limit, pageToken: opts.page }));
      out.data(protoJson(ListMemoryResponseSchema, page));
      if (page.entries.length === 0) out.text(prefix ? `no keys under "${prefix}"` : "no keys");
      else {
        const now = Date.now();
        out.text(
          ...table([
            ["KEY", "REVISION", "UPDATED", "BY", ...(opts.keysOnly ? [] : ["VALUE"])],
            ...page.entries.map((entry) => [
              entry.key,
              String(entry.revision),
              ago(entry.updatedAt, now),
              entry.updatedBy || "-",
              ...(opts.keysOnly ? [] : [oneLine(entry.value, 50)]),
            ]),
          ]),
        );
      }
      if (page.nextPageToken) out.text(`(more: linker memory ls ${prefix ? `${prefix} ` : ""}--page ${page.nextPageToken})`);
    });
}

function rmCommand(): Command {
  return new Command("rm")
    .description("Delete a key; with --if-revision only at that revision (exit status 4 otherwise)")
    .argument("<key>", KEY_HELP)
    .option("--if-revision <n>", "delete only if the key is at this revision", revisionArg)
    .addHelpText(
      "after",
      `
Examples:
  linker memory rm api/port
  linker memory rm --if-revision 12 locks/deploy   # release a lock only if it is still yours`,
    )
    .action(async (key: string, opts: { ifRevision?: bigint }, command: Command) => {
      const { settings, out } = contextOf(command);
      const revision = await withClient(settings, (client) => client.deleteMemory({ key, expectedRevision: opts.ifRevision }));
      out.data({ key, ...(protoJson(DeleteMemoryResponseSchema, create(DeleteMemoryResponseSchema, { revision })) as object) });
      out.text(`${key}: deleted (revision ${revision})`);
    });
}

/** `linker memory get|put|ls|rm`: shared memory with revisions. */
export function memoryCommand(): Command {
  return new Command("memory")
    .summary("shared memory: get, put, ls, rm")
    .description("Shared memory: keys every instance can read and write, with revisions for compare-and-set")
    .addCommand(getCommand())
    .addCommand(putCommand())
    .addCommand(lsCommand())
    .addCommand(rmCommand())
    .addHelpText(
      "after",
      `
Examples:
  linker memory put api/port 8080
  linker memory get api/port
  linker memory ls api/
  linker memory rm api/port`,
    );
}
