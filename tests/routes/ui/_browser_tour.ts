/**
 * The dashboard in a real browser (Debian Chromium driven by playwright-core) against a
 * real server process: sign in, create a key, rotate it, request its destruction as one
 * administrator, approve it as a second administrator in another browser context, see
 * the audit entries and verify the chain, with no console error and no CSP violation on
 * any page. Elements are found by role and accessible name (api.md § Dashboard).
 *
 * A script run by `browser_test.ts` in its own process with all permissions:
 * playwright-core probes system files when it loads, which the test runner's permissions
 * do not grant. It throws (exit code 1) on the first failed expectation.
 *
 * Screenshots of each page are taken on every run; with FERROHSM_UPDATE_SCREENSHOTS=1 they
 * replace the PNGs in docs/img/ that the README's tour shows.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium, type TestBrowser } from "../../../testing/browser.ts";
import { makeInstallation } from "../../../testing/installation.ts";
import { client, ROOT, startServerProcess } from "../../../testing/server_process.ts";
import { printLine } from "../../../src/util/logger.ts";

const UPDATE_DOCS = Deno.env.get("FERROHSM_UPDATE_SCREENSHOTS") === "1";
const LAPTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

/** Browser-side problems seen by a context: console errors, page errors, CSP violations. */
interface Watch {
  readonly problems: string[];
}

async function watchedContext(
  browser: TestBrowser,
  watch: Watch,
  options: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
): Promise<BrowserContext> {
  const context = await browser.browser.newContext({
    viewport: options.viewport ?? LAPTOP,
    colorScheme: options.colorScheme ?? "light",
    deviceScaleFactor: 1,
  });
  // Injected through DevTools (not a page script), so the CSP does not apply to it.
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) => {
      console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
    });`,
  });
  context.on("page", (page) => observe(page, watch));
  return context;
}

function observe(page: Page, watch: Watch): void {
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      watch.problems.push(`${msg.type()}: ${msg.text()} (${page.url()})`);
    }
  });
  page.on("pageerror", (err) => watch.problems.push(`page error: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 500) watch.problems.push(`HTTP ${res.status()} ${res.url()}`);
  });
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui`);
  assert.equal(new URL(page.url()).pathname, "/ui/login", "no session: the sign-in page");
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${url}/ui`);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

async function shot(page: Page, dir: string, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage });
}

/** Runs the tour; throws on the first failed expectation. */
async function tour(): Promise<void> {
  const inst = await makeInstallation();
  const shots = UPDATE_DOCS ? join(ROOT, "docs", "img") : await Deno.makeTempDir();
  const server = await startServerProcess(inst.flags());
  let browser: TestBrowser | undefined;
  try {
    const url = server.url;
    const aliceToken = await inst.token("alice", ["Administrator"]);
    const bobToken = await inst.token("bob", ["Administrator"]);
    const api = client(url, aliceToken);
    // A few keys so the inventory looks like a real one.
    for (
      const [name, algorithm, tags] of [
        ["backup-encryption", "AES-256-GCM", { env: "prod", team: "storage" }],
        ["api-tokens", "HMAC-SHA256", { env: "prod" }],
        ["firmware-signing", "ML-DSA-65", { env: "prod", team: "devices" }],
        ["staging-tls", "RSA-3072", { env: "staging" }],
      ] as const
    ) {
      assert.equal((await api("POST", "/api/v1/keys", { name, algorithm, tags })).status, 201);
    }

    browser = await launchChromium();
    const aliceWatch: Watch = { problems: [] };
    const alice = await (await watchedContext(browser, aliceWatch)).newPage();
    await alice.goto(`${url}/ui/login`);
    await alice.getByLabel("Token").waitFor();
    await shot(alice, shots, "login");
    await signIn(alice, url, aliceToken);
    const cookies = await alice.context().cookies();
    const session = cookies.find((c) => c.name === "__Host-ferrohsm_session");
    assert.ok(session?.httpOnly && session.secure && session.sameSite === "Strict");

    // Create a key.
    await alice.getByRole("link", { name: "Keys", exact: true }).click();
    await alice.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await alice.getByLabel("Name", { exact: true }).fill("payments-signing");
    await alice.getByLabel("Algorithm", { exact: true }).selectOption("EC-P256");
    await alice.getByLabel("Tags").fill("env=prod\nteam=payments");
    await alice.getByRole("button", { name: "Create key" }).click();
    await alice.getByRole("heading", { name: "payments-signing" }).waitFor();
    await alice.getByText("Key created.").waitFor();
    const keyUrl = alice.url();

    // Filters fetch the table fragment.
    await alice.goto(`${url}/ui/keys`);
    await alice.getByLabel("Search").fill("payments");
    await alice.getByRole("table").getByText("1 key match").waitFor();
    await alice.getByLabel("Search").fill("");
    await alice.getByRole("table").getByText("5 keys match").waitFor();
    await shot(alice, shots, "keys");

    // Rotate it, with the confirmation step.
    await alice.goto(keyUrl);
    await alice.getByRole("button", { name: "Rotate", exact: true }).click();
    await alice.getByRole("button", { name: "Confirm rotate" }).click();
    await alice.getByText("Key rotated: a new version is current.").waitFor();
    await alice.getByText("Version 2", { exact: true }).waitFor();
    assert.equal(alice.url(), keyUrl, "swapped in without a navigation");
    await shot(alice, shots, "key");

    // Request destruction.
    await alice.getByRole("button", { name: "Destroy", exact: true }).click();
    await alice.getByRole("button", { name: "Confirm destroy" }).click();
    await alice.getByText("Destruction requested").first().waitFor();
    await alice.goto(`${url}/ui/approvals`);
    assert.equal(await alice.getByRole("button", { name: "Approve" }).count(), 0);
    assert.equal(await alice.getByRole("button", { name: "Deny" }).count(), 1);

    // A second administrator approves it in another browser context.
    const bobWatch: Watch = { problems: [] };
    const bob = await (await watchedContext(browser, bobWatch)).newPage();
    await signIn(bob, url, bobToken);
    await bob.getByRole("link", { name: "Approvals" }).click();
    const row = bob.getByRole("row").filter({ hasText: "Destroy key" });
    await row.getByRole("button", { name: "Approve" }).waitFor();
    await shot(bob, shots, "approvals");
    await row.getByRole("button", { name: "Approve" }).click();
    await bob.getByText("the quorum is met and the action was carried out").waitFor();
    await bob.getByText("No request is waiting for approval.").waitFor();

    // The first administrator sees the key destroyed and the audit trail.
    await alice.goto(keyUrl);
    await alice.getByRole("heading", { name: "payments-signing" }).waitFor();
    assert.ok((await alice.locator("#key-main").textContent())?.includes("destroyed"));
    await alice.getByRole("link", { name: "Audit" }).click();
    const table = alice.getByRole("table");
    await table.getByText("key.destroy.execute").waitFor();
    await table.getByText("approval.approve").first().waitFor();
    await table.getByText("key.rotate").first().waitFor();
    await alice.getByRole("button", { name: "Verify chain" }).click();
    const verdict = alice.locator("#verify-result");
    await verdict.getByText(/^Chain intact \(\d+ entries\)$/).waitFor();
    await shot(alice, shots, "audit", false);

    // The overview after all this (chart and figures), light and dark, laptop and phone.
    await alice.goto(`${url}/ui`);
    await alice.getByRole("heading", { name: "Requests per second" }).waitFor();
    await alice.getByText(/^Chain intact/).waitFor();
    await shot(alice, shots, "overview");
    const dark = await (await watchedContext(browser, aliceWatch, { colorScheme: "dark" }))
      .newPage();
    await signIn(dark, url, aliceToken);
    await shot(dark, shots, "overview-dark");
    const phone = await (await watchedContext(browser, aliceWatch, { viewport: PHONE }))
      .newPage();
    await signIn(phone, url, aliceToken);
    await phone.goto(`${url}/ui/keys`);
    await phone.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await shot(phone, shots, "keys-phone");

    // Sign out ends the session.
    await alice.getByRole("button", { name: "Sign out" }).click();
    await alice.waitForURL(/\/ui\/login\?reason=signed_out$/);
    await alice.goto(`${url}/ui/keys`);
    assert.equal(new URL(alice.url()).pathname, "/ui/login");

    assert.deepEqual(aliceWatch.problems, [], "no console error or CSP violation (alice)");
    assert.deepEqual(bobWatch.problems, [], "no console error or CSP violation (bob)");
  } finally {
    await browser?.close();
    await server.stop();
    await inst.cleanup();
    if (!UPDATE_DOCS) await Deno.remove(shots, { recursive: true });
  }
}

await tour();
printLine("browser tour passed");
