import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { isLoopbackHost } from "@linker/protocol";
import { answerText } from "./ops-endpoints.js";
import { hostnameOf, peerOf } from "./peer.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Who the hub serves the dashboard's files to. */
export type DashboardExposure = "loopback" | "any" | "off";

/** Content types of the files a Vite build writes. */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  map: "application/json",
  woff2: "font/woff2",
};

/**
 * What a page from the hub may do: load its own scripts, styles and images,
 * call the hub it came from, and nothing else (no framing, no other origins).
 */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

interface StaticFile {
  body: Buffer;
  type: string;
  /** Hashed build assets never change under the same name. */
  immutable: boolean;
}

/** The built dashboard, read into memory, or why there is none. */
export type DashboardBuild = { files: Map<string, StaticFile> } | { missing: string };

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Reads the built dashboard from `dir`, else finds it through the
 * `@linker/dashboard` package. The package is optional: without it (or
 * without a build) the hub answers `/` with what is missing. Serving only
 * files read here means no request path ever reaches the file system.
 */
export async function loadDashboard(dir?: string): Promise<DashboardBuild> {
  if (dir === undefined) {
    try {
      ({ dashboardDir: dir } = await import("@linker/dashboard"));
    } catch {
      return { missing: "the @linker/dashboard package is not installed next to this hub" };
    }
  }
  let paths: string[];
  try {
    paths = await listFiles(dir);
  } catch {
    paths = [];
  }
  if (!paths.some((path) => relative(dir, path) === "index.html")) {
    return { missing: `the dashboard is not built (no ${join(dir, "index.html")}); run \`npm run build\`` };
  }
  const files = new Map<string, StaticFile>();
  for (const path of paths) {
    const name = relative(dir, path).split(sep).join("/");
    const type = TYPES[name.slice(name.lastIndexOf(".") + 1)];
    if (!type) continue;
    files.set(`/${name}`, { body: await readFile(path), type, immutable: name.startsWith("assets/") });
  }
  return { files };
}

/**
 * Serves the dashboard at `/` and its assets; returns false for paths it
 * does not own (so RPCs and other endpoints go on). With "loopback", only
 * this machine gets the files, under a loopback host name.
 */
export function dashboardHandler(build: DashboardBuild, exposure: DashboardExposure): (req: Request, res: Response, path: string) => boolean {
  return (req, res, path) => {
    const page = path === "/" ? "/index.html" : path;
    const file = "files" in build ? build.files.get(page) : undefined;
    if (path !== "/" && !file) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      answerText(res, 405, "the dashboard answers GET only", { allow: "GET, HEAD" });
      return true;
    }
    if (exposure === "off") {
      answerText(res, 404, "this hub serves no dashboard (started with --dashboard off)");
      return true;
    }
    if (exposure === "loopback") {
      const peer = peerOf(req);
      const host = peer.host === undefined ? "" : hostnameOf(peer.host);
      if (peer.address === undefined || !isLoopbackHost(peer.address) || !isLoopbackHost(host)) {
        answerText(res, 403, "the dashboard is served to this machine only (open it at http://127.0.0.1:<port>/); start the hub with --dashboard any to serve it further");
        return true;
      }
    }
    if (!file) {
      answerText(res, 404, `This Linker hub is running, but it has no dashboard to show: ${"missing" in build ? build.missing : "not found"}.`);
      return true;
    }
    res.writeHead(200, {
      "content-type": file.type,
      "content-length": String(file.body.length),
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...PAGE_HEADERS,
    });
    if (req.method === "HEAD") res.end();
    else res.end(file.body);
    return true;
  };
}
