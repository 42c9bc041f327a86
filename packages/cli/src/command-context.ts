import type { Command } from "commander";
import { Output } from "./output.js";
import { type GlobalOptions, resolveSettings, type Settings } from "./settings.js";

/** What every command acts with: the resolved global settings and its output. */
export interface CommandContext {
  /** Global settings (name, hubs, home…). */
  settings: Settings;
  /** Where results go (human text or JSON). */
  out: Output;
}

/** The context of the command being run, from its own and its parents' options. */
export function contextOf(command: Command): CommandContext {
  const settings = resolveSettings(command.optsWithGlobals<GlobalOptions>());
  return { settings, out: new Output(settings.json) };
}
