import { join, resolve } from "node:path";
import { Code } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import * as vscode from "vscode";
import type { WorkspaceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { isLoopbackHost } from "@linker/protocol";
import { type AutoHubOptions, chooseHostingPath, createHubKeeper, type DataEvent, FileSessionStore, type HostingCandidate, type HostingPathStarter, type HubKeeper, hubStarter, LinkerClient, type LinkerClientOptions, LinkerError } from "@linker/client";
import { HOSTING_ADVICE, shippedDashboardDir, windowHostingCandidates } from "./hosting-paths.js";
import { HubOfflineError } from "./hub-offline-error.js";
import { instanceNameCandidates } from "./instance-name.js";
import { clientLogger, hubLogger, type Log, messageLogger } from "./output-log.js";
import { hubUrlsOf, type Settings } from "./settings.js";

/** What this window is to the hub right now. */
export type HubMode =
  /** Connecting (first time or after a settings change). */
  | "starting"
  /** Connected, and this window serves the hub. */
  | "hub"
  /** Connected to a hub another process serves. */
  | "client"
  /** The hub went away; the client is reconnecting or taking over. */
  | "reconnecting"
  /** No hub reachable; retrying in the background. */
  | "offline";

/** How this window describes itself when it registers. */
export interface WindowIdentity {
  /** Project (workspace) name, if a folder is open. */
  project: string | undefined;
  /** One sentence about the window. */
  description: string;
  /** Where the window works. */
  workspace: MessageInitShape<typeof WorkspaceSchema>;
}

/** What a HubConnection needs. */
export interface HubConnectionOptions {
  /** Current settings. */
  settings: () => Settings;
  /** The window's identity, read at each connect. */
  identity: () => Promise<WindowIdentity>;
  /** Where connection changes are logged. */
  log: Log;
  /** Capabilities announced at Register. */
  capabilities?: () => string[];
  /** Builds clients (tests pass a wrapper). */
  createClient?: (options: LinkerClientOptions) => LinkerClient;
  /** Builds the hub keeper of a loopback URL (tests pass a fake). */
  createKeeper?: (url: string, options: AutoHubOptions) => Promise<HubKeeper>;
  /** The extension's hub child-process bundle (dist/hub-process.cjs), run when the extension host cannot load the store. */
  hubScript?: string;
  /** The ways this window may host the hub, in order (default: windowHostingCandidates from the settings). */
  hostingCandidates?: (settings: Settings) => HostingCandidate[];
  /** First retry delay after a failed connect, in milliseconds (default 2 s, doubling to 30 s). */
  retryDelayMs?: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** True when `url` is http:// on a loopback address (a hub this machine may host). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" && isLoopbackHost(parsed.hostname.replace(/^\[(.*)\]$/, "$1"));
  } catch {
    return false;
  }
}

/** True for the error ensureHub throws when a stranger holds the hub port. */
function isPortBusy(err: unknown): boolean {
  return typeof err === "object" && err !== null && "probe" in err && "url" in err;
}

/** A keeper whose close() does nothing: the connection, not each client, decides when the hosted hub stops. */
function borrowed(keeper: HubKeeper): HubKeeper {
  return {
    url: keeper.url,
    get hosting() {
      return keeper.hosting;
    },
    ensure: () => keeper.ensure(),
    recover: () => keeper.recover(),
    close: async () => {},
  };
}

/**
 * This window's link to the hub, on the Linker client. With autoHub (the
 * default, for a loopback URL) it finds the machine's hub or hosts it here
 * from the shared SQLite database, exactly like the MCP server: the first
 * window binds the port and serves, the others connect; when the hosting
 * window closes, the others wait a random 0–2 s and one of them takes over
 * with every message, task and memory key intact. The instance name is the
 * configured window name or `<project>-vscode`; when another instance holds
 * it, `-2`, `-3` … are tried. Data events of whichever client is current are
 * re-emitted on `onEvent`, so views survive reconnects and settings changes.
 */
export class HubConnection implements vscode.Disposable {
  private readonly options: HubConnectionOptions;
  private readonly modeEmitter = new vscode.EventEmitter<HubMode>();
  private readonly eventEmitter = new vscode.EventEmitter<DataEvent>();
  private readonly readyEmitter = new vscode.EventEmitter<LinkerClient>();
  private current: LinkerClient | undefined;
  private keeper: HubKeeper | undefined;
  private keeperUrl: string | undefined;
  private hostingPaths: HostingPathStarter | undefined;
  private currentMode: HubMode = "starting";
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private starting: Promise<void> | undefined;
  private disposed = false;
  private failure: string | undefined;
  private hostingFailure: string | undefined;

  /** Fires when the mode changes. */
  readonly onDidChangeMode = this.modeEmitter.event;
  /** Every data event (message, presence, memory, task, receipt) of the current client. */
  readonly onEvent = this.eventEmitter.event;
  /** Fires each time a client is registered and live (first connect, reconnect, restart). */
  readonly onDidConnect = this.readyEmitter.event;

  constructor(options: HubConnectionOptions) {
    this.options = options;
    this.retryDelayMs = options.retryDelayMs ?? 2_000;
  }

  /** The mode now. */
  get mode(): HubMode {
    return this.currentMode;
  }

  /** The connected client, if any. */
  get client(): LinkerClient | undefined {
    return this.current;
  }

  /** This window's instance name once registered. */
  get name(): string | undefined {
    return this.current?.name;
  }

  /** The hub URL in use (or the first configured one). */
  get hubUrl(): string {
    return this.current?.hubUrl ?? hubUrlsOf(this.options.settings())[0];
  }

  /** Why the last connect failed, if it did. */
  get lastError(): string | undefined {
    return this.failure;
  }

  /** Why this window could not host the hub, if it tried and could not. */
  get hostingError(): string | undefined {
    return this.hostingFailure;
  }

  /** How the hub this window hosts runs ("in a child process (…)"), while it hosts one. */
  get hostingPath(): string | undefined {
    return this.keeper?.hosting ? this.hostingPaths?.chosen()?.description : undefined;
  }

  /** The client, or a HubOfflineError saying what to do. */
  require(): LinkerClient {
    if (!this.current) throw new HubOfflineError(this.hubUrl, this.failure);
    return this.current;
  }

  /** Connects (once at a time); on failure the mode is "offline" and retries run in the background. */
  start(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.starting ??= this.connect().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Drops the current client (handing over a hosted hub) and connects again with the current settings. */
  async restart(): Promise<void> {
    this.generation += 1;
    this.clearRetry();
    await this.starting?.catch(() => undefined);
    await this.closeClient();
    await this.closeKeeper();
    this.retryDelayMs = this.options.retryDelayMs ?? 2_000;
    this.setMode("starting");
    await this.start();
  }

  /** Closes the client and stops a hub this window hosts (another window then takes it over). */
  async close(): Promise<void> {
    this.disposed = true;
    this.generation += 1;
    this.clearRetry();
    await this.starting?.catch(() => undefined);
    await this.closeClient();
    await this.closeKeeper();
    this.setMode("offline");
  }

  /** Same as close(), for VS Code's disposables. */
  dispose(): void {
    void this.close();
    this.modeEmitter.dispose();
    this.eventEmitter.dispose();
    this.readyEmitter.dispose();
  }

  private async connect(): Promise<void> {
    const generation = this.generation;
    if (this.currentMode !== "offline") this.setMode("starting");
    try {
      const client = await this.open(generation);
      if (generation !== this.generation || this.disposed) {
        await client.close();
        return;
      }
      this.current = client;
      this.failure = undefined;
      this.retryDelayMs = this.options.retryDelayMs ?? 2_000;
      this.updateMode();
      this.options.log.info(
        `connected to ${client.hubUrl} as "${client.name}" (${client.hosting ? "this window hosts the hub" : "client"}), ${client.registered?.unreadCount ?? 0} unread`,
      );
      this.readyEmitter.fire(client);
    } catch (err) {
      if (generation !== this.generation || this.disposed) return;
      this.failure = err instanceof Error ? err.message : String(err);
      this.options.log.error(`cannot connect: ${this.failure}`);
      this.setMode("offline");
      this.scheduleRetry();
    }
  }

  private async open(generation: number): Promise<LinkerClient> {
    const { log } = this.options;
    const settings = this.options.settings();
    const urls = hubUrlsOf(settings);
    const identity = await this.options.identity();
    const dataDir = resolve(settings.dataDir);
    const hostable = settings.autoHub && isLoopbackUrl(urls[0]);
    const keeper = hostable ? await this.hostingKeeper(urls[0], dataDir) : undefined;
    const names = instanceNameCandidates(settings.windowName, identity.project);
    const create = this.options.createClient ?? ((options: LinkerClientOptions) => new LinkerClient(options));
    for (const name of names) {
      const client = create({
        name,
        description: identity.description,
        capabilities: this.options.capabilities?.() ?? [],
        labels: { editor: "vscode" },
        workspace: identity.workspace,
        clientKind: "vscode",
        hubs: urls,
        hubSecret: process.env.LINKER_HUB_SECRET,
        autoHub: keeper ? { keeper: borrowed(keeper) } : false,
        home: dataDir, sessions: new FileSessionStore(join(dataDir, "sessions")), hubKey: hostable ? `db:${dataDir}` : undefined,
        logger: clientLogger(log),
      });
      this.attach(client, generation);
      try {
        await client.connect();
        return client;
      } catch (err) {
        await client.close();
        if (err instanceof LinkerError && err.code === Code.PermissionDenied && err.rpc === "Register") {
          log.warn(`the name "${name}" is held by another instance; trying the next one`);
          continue;
        }
        throw err;
      }
    }
    throw new Error(`the names ${names.join(", ")} are all held by other instances; set claudeTeam.windowName to a free name`);
  }

  /** The keeper of the loopback hub, after making sure it can host here; undefined when this window cannot host. */
  private async hostingKeeper(url: string, dataDir: string): Promise<HubKeeper | undefined> {
    const settings = this.options.settings();
    const key = `${url}|${dataDir}|${settings.nodePath}`;
    if (!this.keeper || this.keeperUrl !== key) {
      await this.closeKeeper();
      const create = this.options.createKeeper ?? createHubKeeper;
      const paths = chooseHostingPath(() => this.hostingCandidates(settings), { logger: messageLogger(this.options.log), advice: HOSTING_ADVICE });
      this.keeper = await create(url, { dataDir, start: paths.start });
      this.hostingPaths = paths;
      this.keeperUrl = key;
    }
    try {
      const outcome = await this.keeper.ensure();
      this.hostingFailure = undefined;
      this.options.log.info(outcome.role === "hub" ? `this window now hosts the hub at ${url} (data in ${dataDir})` : `a hub already serves ${url}`);
      return this.keeper;
    } catch (err) {
      if (isPortBusy(err)) throw err;
      this.hostingFailure = err instanceof Error ? err.message : String(err);
      this.options.log.warn(`this window cannot host the hub (${this.hostingFailure}); connecting as a client only`);
      await this.closeKeeper();
      return undefined;
    }
  }

  private hostingCandidates(settings: Settings): HostingCandidate[] {
    if (this.options.hostingCandidates) return this.options.hostingCandidates(settings);
    const hubLog = hubLogger(this.options.log);
    return windowHostingCandidates({
      nodePath: settings.nodePath,
      hubScript: this.options.hubScript ?? "",
      inProcess: hubStarter({ logger: hubLog, dashboardDir: shippedDashboardDir(this.options.hubScript) }),
      hubLog,
    });
  }

  private attach(client: LinkerClient, generation: number): void {
    const live = () => generation === this.generation && !this.disposed;
    const forward = (event: DataEvent) => {
      if (live()) this.eventEmitter.fire(event);
    };
    client.on("message", forward);
    client.on("presence", forward);
    client.on("memory", forward);
    client.on("task", forward);
    client.on("receipt", forward);
    client.on("caught-up", () => {
      if (live() && this.current === client) this.updateMode();
    });
    client.on("disconnected", ({ error, retryInMs }) => {
      if (!live() || this.current !== client) return;
      this.options.log.warn(`lost the hub (${error.reason}); retrying in ${retryInMs} ms`);
      this.setMode("reconnecting");
    });
    client.on("hub-changed", ({ from, to, reason }) => {
      if (!live()) return;
      this.options.log.info(
        reason === "hosting" ? `this window took over the hub at ${to}` : reason === "takeover" ? `another process took over the hub at ${to}` : `failed over from ${from} to ${to}`,
      );
      if (this.current === client) this.updateMode();
    });
    client.on("recovered", ({ durationMs, hubChanged }) => {
      if (!live() || this.current !== client) return;
      this.options.log.info(`back online after ${durationMs} ms${hubChanged ? " on a new hub" : ""}`);
      this.updateMode();
      this.readyEmitter.fire(client);
    });
    client.on("error", ({ error }) => {
      if (!live() || this.current !== client) return;
      this.failure = error.message;
      this.options.log.error(`the event stream stopped: ${error.message}`);
      this.current = undefined;
      void client.close();
      this.setMode("offline");
      this.scheduleRetry();
    });
  }

  private updateMode(): void {
    const client = this.current;
    if (!client) return this.setMode(this.disposed ? "offline" : "starting");
    if (client.state === "reconnecting") return this.setMode("reconnecting");
    this.setMode(client.hosting ? "hub" : "client");
  }

  private setMode(mode: HubMode): void {
    if (mode === this.currentMode) return;
    this.currentMode = mode;
    this.modeEmitter.fire(mode);
  }

  private scheduleRetry(): void {
    if (this.disposed || this.retryTimer) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2);
    this.options.log.info(`retrying in ${Math.round(delay / 1000)} s`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async closeClient(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    await client?.close().catch((err: unknown) => this.options.log.warn(`closing the client failed: ${String(err)}`));
  }

  private async closeKeeper(): Promise<void> {
    const keeper = this.keeper;
    this.keeper = undefined;
    this.keeperUrl = undefined;
    this.hostingPaths = undefined;
    if (keeper?.hosting) this.options.log.info("stopping the hub this window hosts; the other windows take it over");
    await keeper?.close().catch((err: unknown) => this.options.log.warn(`stopping the hub failed: ${String(err)}`));
  }
}
