import type { ClientLogger } from "./client-logger.js";
import { type HostedHub, HostingUnavailableError, type HubSite, type HubStarter } from "./hub-hosting.js";

/** One way this process could host the hub (in process, or a child process under some runtime). */
export interface HostingCandidate {
  /** What it is, for logs: "in this process", "a child process under /usr/bin/node". */
  label: string;
  /** Starts the hub that way; rejects with EADDRINUSE when the port is taken. */
  start: HubStarter;
  /** True when a failure cannot change while this process lives (an addon that does not load): it is not tried again. */
  permanent?: boolean;
}

/** The path chosen, and why the ones before it were passed over. */
export interface HostingChoice {
  /** The candidate's label. */
  label: string;
  /** How the started hub runs (its description, or the label). */
  description: string;
  /** "label: reason" of every candidate tried before it, in order. */
  passedOver: string[];
}

/** No candidate could host the hub; the message lists each with its reason and says what to do. */
export class NoHostingPathError extends HostingUnavailableError {
  constructor(
    /** "label: reason" per candidate. */
    readonly reasons: string[],
    advice: string,
  ) {
    super(undefined, `no way to host the Linker hub here: ${reasons.join("; ")}${advice ? `. ${advice}` : ""}`);
  }
}

/** Options of chooseHostingPath. */
export interface HostingPathOptions {
  /** Where the one line about the choice goes. */
  logger?: ClientLogger;
  /** What to tell the user when nothing works (for example which runtime to install). */
  advice?: string;
}

/** A HubStarter that picks its hosting path on first use. */
export interface HostingPathStarter {
  /** Starts the hub through the chosen path (choosing it first if needed). */
  start: HubStarter;
  /** The path in use, once one worked. */
  chosen(): HostingChoice | undefined;
}

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}

function reasonOf(err: unknown): string {
  if (err instanceof HostingUnavailableError && err.cause !== undefined) return reasonOf(err.cause);
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n")[0].trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

/**
 * Chooses how this process hosts the hub, at run time: the candidates are
 * tried in order and the first that starts a hub is used from then on, with
 * one log line naming it and why the earlier ones were passed over. An
 * EADDRINUSE from any candidate ends the attempt at once (another process
 * serves the port: the election connects to it). A candidate whose failure is
 * permanent is never tried again; the chosen one, if it later fails for
 * another reason, sends the next start through the whole list again. When
 * nothing works the start rejects with NoHostingPathError.
 */
export function chooseHostingPath(candidates: () => HostingCandidate[], options: HostingPathOptions = {}): HostingPathStarter {
  let chosen: { candidate: HostingCandidate; choice: HostingChoice } | undefined;
  const ruledOut = new Map<string, string>();
  const start = async (site: HubSite): Promise<HostedHub> => {
    if (chosen) {
      try {
        return await chosen.candidate.start(site);
      } catch (err) {
        if (isAddressInUse(err)) throw err;
        options.logger?.warn({ path: chosen.candidate.label, reason: reasonOf(err) }, "the hosting path in use failed; choosing again");
        chosen = undefined;
      }
    }
    const passedOver: string[] = [];
    for (const candidate of candidates()) {
      const known = ruledOut.get(candidate.label);
      if (known !== undefined) {
        passedOver.push(`${candidate.label}: ${known}`);
        continue;
      }
      let hub: HostedHub;
      try {
        hub = await candidate.start(site);
      } catch (err) {
        if (isAddressInUse(err)) throw err;
        const reason = reasonOf(err);
        if (candidate.permanent) ruledOut.set(candidate.label, reason);
        passedOver.push(`${candidate.label}: ${reason}`);
        continue;
      }
      const choice: HostingChoice = { label: candidate.label, description: hub.description ?? candidate.label, passedOver };
      chosen = { candidate, choice };
      options.logger?.info(
        { path: candidate.label, passedOver },
        `hosting the hub ${choice.description}${passedOver.length > 0 ? ` — not ${passedOver.join("; not ")}` : ""}`,
      );
      return hub;
    }
    throw new NoHostingPathError(passedOver, options.advice ?? "");
  };
  return { start, chosen: () => chosen?.choice };
}
