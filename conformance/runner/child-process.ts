import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import {
  type ClientCompatRequest,
  type ClientCompatResponse,
  ClientCompatResponseSchema,
  ClientCompatRequestSchema,
} from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import {
  type HubSettings,
  ServerCompatRequestSchema,
  type ServerCompatResponse,
  ServerCompatResponseSchema,
} from "@linker/protocol/gen/linker/conformance/v1/server_compat_pb.js";
import type { ClientExecutor } from "../protocol/client-executor.js";
import { FrameReader, writeFrame } from "../protocol/size-delimited.js";
import type { HubTarget } from "./case-context.js";

/** How to start a program under test. */
export interface ProgramSpec {
  /** Executable and arguments; "node" means this Node binary. */
  command: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working folder (the repository root). */
  cwd: string;
  /** File that receives the program's stderr. */
  logFile: string;
}

/** Extra time an instruction may take beyond its own timeout before the program counts as hung. */
const GRACE_MS = 15_000;
/** Time a program gets to exit after its stdin closes. */
const EXIT_WAIT_MS = 5_000;

/** A program that exchanges size-delimited protobuf messages over stdin and stdout. */
class FramedProgram {
  readonly child: ChildProcess;
  private readonly reader: FrameReader;
  private readonly log: WriteStream;
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;
  private broken: string | undefined;

  constructor(
    private readonly label: string,
    spec: ProgramSpec,
  ) {
    const [command, ...args] = spec.command;
    this.log = createWriteStream(spec.logFile, { flags: "a" });
    this.child = spawn(command === "node" ? process.execPath : command, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr!.pipe(this.log, { end: false });
    this.child.stdin!.on("error", () => undefined);
    this.reader = new FrameReader(this.child.stdout!);
    this.exited = new Promise((done) => {
      this.child.once("error", (err) => {
        this.exitDescription = `could not start: ${err.message}`;
        done();
      });
      this.child.once("exit", (code, signal) => {
        this.exitDescription = `exited (${signal ?? code})`;
        done();
      });
    });
  }

  /** Sends one message and waits for the answer, failing after `timeoutMs`. */
  async exchange(bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.broken) throw new Error(this.broken);
    if (this.exitDescription) throw new Error(`${this.label} ${this.exitDescription}; see ${this.log.path}`);
    writeFrame(this.child.stdin!, bytes);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${this.label} gave no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const exit = this.exited.then(() => {
      throw new Error(`${this.label} ${this.exitDescription}; see ${this.log.path}`);
    });
    try {
      const frame = await Promise.race([this.reader.next(), timeout, exit]);
      if (!frame) throw new Error(`${this.label} closed its stdout; see ${this.log.path}`);
      return frame;
    } catch (err) {
      this.broken = `${(err as Error).message} (no further instructions are sent to it)`;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes stdin, waits for the program to exit, kills it if it does not. */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), EXIT_WAIT_MS);
    await this.exited;
    clearTimeout(timer);
    await new Promise<void>((done) => this.log.end(() => done()));
  }
}

/** A client under test run as a child process and driven over stdin/stdout. */
export class ClientProcess implements ClientExecutor {
  private readonly program: FramedProgram;

  constructor(spec: ProgramSpec) {
    this.program = new FramedProgram("client under test", spec);
  }

  async execute(request: ClientCompatRequest): Promise<ClientCompatResponse> {
    const { instruction } = request;
    const ownTimeout =
      instruction.case === "call" || instruction.case === "reflect" || instruction.case === "streamCall"
        ? instruction.value.timeoutMs || 10_000
        : instruction.case === "readStream"
          ? instruction.value.timeoutMs
          : instruction.case === "awaitCall"
            ? 60_000
            : 0;
    const frame = await this.program.exchange(toBinary(ClientCompatRequestSchema, request), ownTimeout + GRACE_MS);
    return fromBinary(ClientCompatResponseSchema, frame);
  }

  async close(): Promise<void> {
    await this.program.stop();
  }
}

/** A server (a hub) started through the ServerCompat protocol. */
export class ServerProcess implements HubTarget {
  private current: string[] = [];

  private constructor(private readonly program: FramedProgram) {}

  /** Starts the program and asks it to serve with `settings`. */
  static async start(spec: ProgramSpec, settings: HubSettings): Promise<ServerProcess> {
    const server = new ServerProcess(new FramedProgram("server under test", spec));
    try {
      await server.command({ case: "start", value: settings });
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  url(): string {
    return this.current[0] ?? "";
  }

  urls(): string[] {
    return this.current;
  }

  async restart(abrupt: boolean): Promise<void> {
    await this.command({ case: "restart", value: { $typeName: "linker.conformance.v1.RestartServer", abrupt } });
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await this.program.stop();
  }

  private async command(command: Parameters<typeof toBinary<typeof ServerCompatRequestSchema>>[1]["command"]): Promise<void> {
    const frame = await this.program.exchange(
      toBinary(ServerCompatRequestSchema, { $typeName: "linker.conformance.v1.ServerCompatRequest", command }),
      30_000,
    );
    const response: ServerCompatResponse = fromBinary(ServerCompatResponseSchema, frame);
    if (response.error !== "") throw new Error(`server under test: ${response.error}`);
    const urlOf = ({ host, port }: { host: string; port: number }) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.current = [response, ...response.moreHubs].map(urlOf);
  }
}
