import { type BrowserContext, chromium } from "playwright-core";
import { tempDir } from "./temp-dir.js";

/** Debian's Chromium (installed by .ci/run's system packages). */
const CHROMIUM = "/usr/bin/chromium";

/** How a test's browser differs from the default. */
export interface ChromiumOptions {
  /** Window size (default Playwright's). */
  viewport?: { width: number; height: number };
  /** Accept a certificate the throwaway profile does not trust (a hub's self-signed CA). */
  ignoreHTTPSErrors?: boolean;
}

/** Starts headless Chromium with a throwaway profile, quiet: no network of its own, no sandbox (CI runs as root). */
export function launchChromium(options: ChromiumOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir("linker-chromium-"), {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
