/**
 * A headless Debian Chromium for browser tests, driven by playwright-core over the
 * DevTools protocol: launched by us (fresh `--user-data-dir`, no sandbox, no background
 * networking, so nothing leaves the machine), connected with `connectOverCDP`. Test code,
 * never product code; every caller closes it in a `finally`.
 */

import type { Browser } from "playwright-core";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** True when the Chromium binary is installed. */
export const hasChromium: boolean = await Deno.stat(CHROMIUM_PATH).then(
  (s) => s.isFile,
  () => false,
);

/** The flags every launch uses (the project's CI machine has no outside network). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A running browser. */
export interface TestBrowser {
  readonly browser: Browser;
  /** Closes the connection, stops the process and removes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium and connects playwright to it. */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "ferrohsm-chromium-" });
  const child = new Deno.Command(CHROMIUM_PATH, {
    args: [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      // Full-page screenshots otherwise lose the scrollbar's width on the right.
      "--hide-scrollbars",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  let endpoint: string | undefined;
  let log = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = Date.now() + 30_000;
  try {
    while (endpoint === undefined && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      log = (log + value).slice(-20_000);
      endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(log)?.[1];
    }
    if (endpoint === undefined) throw new Error(`Chromium did not start:\n${log}`);
  } catch (err) {
    await reader.cancel().catch(() => {});
    await stop();
    throw err;
  }
  // Keep draining stderr so Chromium never blocks on a full pipe.
  const drained = (async () => {
    try {
      while (!(await reader.read()).done) {
        // discard
      }
    } catch {
      // closed
    }
  })();
  let browser: Browser;
  try {
    // Loaded here, not at import: playwright-core probes system files when it loads, which
    // a test runner without --allow-all may not read (see tests/routes/ui/browser_test.ts).
    const { chromium } = await import("playwright-core");
    browser = await chromium.connectOverCDP(endpoint);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      await stop();
      await drained;
    },
  };
}
