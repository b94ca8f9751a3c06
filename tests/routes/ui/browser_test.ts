/**
 * Runs the dashboard's browser tour (`_browser_tour.ts`: Debian Chromium driven by
 * playwright-core against a real server process) in its own process with all
 * permissions, since playwright-core probes system files when it loads. Ignored, saying
 * why, when Chromium is not installed (`apt-get install -y chromium`).
 */

import assert from "node:assert/strict";
import { hasChromium } from "../../../testing/browser.ts";
import { runDeno } from "../../../testing/server_process.ts";

Deno.test({
  name: hasChromium
    ? "in Chromium: two administrators create, rotate and destroy a key, then verify the audit chain"
    : "in Chromium: two administrators create, rotate and destroy a key (ignored: chromium not installed; apt-get install -y chromium)",
  ignore: !hasChromium,
  async fn() {
    const out = await runDeno(["run", "--allow-all", "tests/routes/ui/_browser_tour.ts"]);
    assert.equal(out.code, 0, `browser tour failed:\n${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /browser tour passed/);
  },
});
