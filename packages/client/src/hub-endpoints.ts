import type { HubChangedEvent } from "./client-events.js";
import type { HubKeeper } from "./hub-keeper.js";
import type { HubTransport } from "./hub-transport.js";

/** The hub a call goes to now. */
export interface Endpoint {
  /** Base URL. */
  url: string;
  /** Transport to it. */
  transport: HubTransport["transport"];
  /** Increases whenever the client moves to another hub; tells stale failure reports apart. */
  generation: number;
}

/** What a failure report led to. */
export interface FailoverOutcome {
  /** True when the next call goes to another hub (another URL, or a new hub process at the URL). */
  switched: boolean;
  /** True when this process started serving the hub. */
  hosting: boolean;
}

/** Options of the hub list. */
export interface HubEndpointsOptions {
  /** Hub URLs in order of preference. */
  urls: string[];
  /** Builds the transport to one URL. */
  connect(url: string): HubTransport;
  /** Keeps the machine's hub alive (autoHub); only with a single loopback URL. */
  keeper?: HubKeeper;
  /** Told when calls move to another hub. */
  onChange?(change: HubChangedEvent): void;
}

/**
 * The hubs a client may use and the one it uses now. When calls to the
 * current hub fail because it cannot be reached, `failed()` moves to the next
 * URL (round robin) or, with autoHub, lets the keeper wait for a new hub or
 * start one here. Reports from several calls that failed on the same hub lead
 * to one move.
 */
export class HubEndpoints {
  private index = 0;
  private generation = 0;
  private readonly transports = new Map<string, HubTransport>();
  private recovering: Promise<FailoverOutcome> | undefined;
  private closed = false;

  constructor(private readonly options: HubEndpointsOptions) {
    if (options.urls.length === 0) throw new Error("at least one hub URL is needed");
    if (options.keeper && options.urls.length > 1) throw new Error("autoHub keeps one loopback hub: pass a single hub URL");
  }

  /** Every configured URL. */
  get urls(): readonly string[] {
    return this.options.urls;
  }

  /** The hub calls go to now. */
  current(): Endpoint {
    if (this.closed) throw new Error("the client is closed");
    const url = this.options.urls[this.index];
    let hub = this.transports.get(url);
    if (!hub) this.transports.set(url, (hub = this.options.connect(url)));
    return { url, transport: hub.transport, generation: this.generation };
  }

  /**
   * Reports that the hub of `generation` could not be reached. Resolves when
   * a retry is worth making: at once if another report already moved on, after
   * the keeper's recovery with autoHub, or after switching to the next URL.
   */
  failed(generation: number): Promise<FailoverOutcome> {
    if (generation !== this.generation || this.closed) return Promise.resolve({ switched: true, hosting: this.options.keeper?.hosting ?? false });
    this.recovering ??= this.move().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  /** Closes every transport. */
  close(): void {
    this.closed = true;
    for (const hub of this.transports.values()) hub.close();
    this.transports.clear();
  }

  private async move(): Promise<FailoverOutcome> {
    const from = this.options.urls[this.index];
    const keeper = this.options.keeper;
    if (keeper) {
      const wasHosting = keeper.hosting;
      const outcome = await keeper.recover();
      if (!outcome.replaced) return { switched: false, hosting: keeper.hosting };
      this.generation += 1;
      const hosting = keeper.hosting && !wasHosting;
      this.options.onChange?.({ type: "hub-changed", from, to: outcome.url, reason: hosting ? "hosting" : "takeover" });
      return { switched: true, hosting: keeper.hosting };
    }
    if (this.options.urls.length === 1) return { switched: false, hosting: false };
    this.index = (this.index + 1) % this.options.urls.length;
    this.generation += 1;
    const to = this.options.urls[this.index];
    this.options.onChange?.({ type: "hub-changed", from, to, reason: "failover" });
    return { switched: true, hosting: false };
  }
}
