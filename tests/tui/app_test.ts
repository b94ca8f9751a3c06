/**
 * The TUI rendered at 80×24 from fixed API answers: every screen, moving through them
 * with the bound keys, help, the palette, confirmations, the token prompt on a 401,
 * the expiring-token flag, resizing, themes, and that no server string reaches the
 * terminal with its control or bidi characters intact.
 */

import assert from "node:assert/strict";
import { createElement as h } from "react";
import { TuiApp } from "../../src/tui/app.ts";
import { TuiClient } from "../../src/tui/tui_client.ts";
import { defaultTuiConfig } from "../../src/tui/tui_config.ts";
import type { CommandRunner } from "../../src/tui/ui/palette.ts";
import { fixedApi, RAW_CONTROLS, tokenExpiringIn } from "./_fixtures.ts";
import { fixedServer, renderTui, type Screen } from "./_harness.ts";

interface Run {
  screen: Screen;
  client: TuiClient;
  seen: { method: string; path: string; auth: string | null; body: unknown }[];
  copied: string[];
  palette: (readonly string[])[];
}

async function withTui(
  options: { token?: string; accept?: string; clock?: () => number },
  body: (run: Run) => Promise<void>,
): Promise<void> {
  const server = fixedServer(fixedApi(options.accept));
  const client = new TuiClient({
    addr: server.url,
    token: options.token ?? tokenExpiringIn("alice", 280),
  });
  const copied: string[] = [];
  const palette: (readonly string[])[] = [];
  const run: CommandRunner = (argv, connection) => {
    palette.push([...argv, `@${connection.addr === server.url ? "addr" : "?"}`]);
    return Promise.resolve({
      code: 0,
      stdout: new TextEncoder().encode(`{"items":[],"note":"\x1b]0;pwned\x07"}\n`),
      stderr: new Uint8Array(),
    });
  };
  const screen = renderTui(
    h(TuiApp, {
      client,
      config: defaultTuiConfig(),
      run,
      copy: (t: string) => void copied.push(t),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    }),
  );
  try {
    await body({ screen, client, seen: server.seen, copied, palette });
  } finally {
    screen.unmount();
    client.close();
    await server.stop();
  }
}

function assertEscaped(frame: string, raw: string): void {
  assert.doesNotMatch(raw, RAW_CONTROLS, "no raw control or bidi character reaches the terminal");
  assert.ok(frame.split("\n").length <= 24, "the frame fits 24 rows");
  for (const line of frame.split("\n")) {
    assert.ok(line.length <= 80, `line fits 80 columns: ${line}`);
  }
}

Deno.test("the keys screen renders the inventory with hostile names escaped", async () => {
  await withTui({}, async ({ screen }) => {
    const frame = await screen.waitFor("payments", "the key list");
    assert.match(frame, /FerroHSM\s+1 Keys\s+2 Crypto\s+3 Approvals\s+4 Audit\s+5 Health/);
    assert.match(frame, /payments\s+AES-256-GCM\s+active\s+2/);
    assert.match(frame, /evil\\x1b\[31m\\x07\\x0d\\x9b2J/);
    assert.match(frame, /2 shown of 2 key\(s\)/);
    assertEscaped(frame, screen.raw());
  });
});

Deno.test("key bindings move through every screen and each renders its answers", async () => {
  await withTui({}, async ({ screen }) => {
    await screen.waitFor("payments");
    await screen.press("2");
    assert.match(await screen.waitFor("Crypto"), /encrypt with no key — press e to edit/);
    await screen.press("3");
    let frame = await screen.waitFor("Approvals — pending");
    assert.match(frame, /destroy\s+11111111-aaa…\s+mallory/);
    assertEscaped(frame, screen.raw());
    await screen.press("4");
    frame = await screen.waitFor(/key\.rotate/);
    assert.match(frame, /3\s+03:04:05 alice\s+key\.rotate/);
    assertEscaped(frame, screen.raw());
    await screen.press("5");
    frame = await screen.waitFor("Rate limiter", "the health figures");
    assert.match(frame, /status\s+ok/);
    assert.match(frame, /uptime\s+1h 2m/);
    assert.match(frame, /self-test\s+passed/);
    assert.match(frame, /4xx \/ 5xx\s+7 \/ 3/);
    assert.match(frame, /total\s+100/);
    assert.match(frame, /Key cache\s+75\.0%/);
    assert.match(frame, /approvals\s+1 pending/);
    assert.match(frame, /actors tracked\s+2/);
    assert.match(frame, /memory\s+100 MiB/);
    await screen.press("\t");
    await screen.waitFor(/NAME\s+ALGORITHM/);
    await screen.press("\x1b[Z");
    await screen.waitFor("Health and metrics");
    await screen.press("\x1b[Z", "\x1b[Z");
    await screen.waitFor("Approvals — pending");
  });
});

Deno.test("the key detail shows versions and rotating asks for confirmation first", async ({ step }) => {
  await withTui({}, async ({ screen, seen }) => {
    await screen.waitFor("payments");
    await screen.press("\r");
    let frame = await screen.waitFor(/VERSION\s+STATE/);
    assert.match(frame, /id\s+11111111-aaaa-4bbb-8ccc-000000000001/);
    assert.match(frame, /tags\s+env=prod/);
    assert.match(frame, /2\s+active\s+2026-01-02T03:04:05\.000Z\s+current/);
    assert.match(frame, /1\s+active\s+.*retired/);
    await step("n cancels", async () => {
      await screen.press("R");
      assert.match(await screen.waitFor("Confirm"), /Rotate payments \(11111111-/);
      await screen.press("n");
      await screen.waitFor("Cancelled");
      assert.ok(!seen.some((r) => r.path.endsWith("/rotate")));
    });
    await step("y rotates", async () => {
      await screen.press("R");
      await screen.waitFor("Confirm");
      await screen.press("y");
      frame = await screen.waitFor("Rotated: payments is active, version 3");
      assert.ok(seen.some((r) => r.method === "POST" && r.path.endsWith("/rotate")));
    });
    await step("destroy opens an approval", async () => {
      await screen.press("D");
      await screen.waitFor("Request destruction of payments");
      await screen.press("\r");
      await screen.waitFor(/Destruction requested: held for approval 33333333-/);
    });
    await screen.press("\x1b");
    await screen.waitFor(/NAME\s+ALGORITHM/);
  });
});

Deno.test("the create form validates inline and creates through the API", async () => {
  await withTui({}, async ({ screen, seen }) => {
    await screen.waitFor("payments");
    await screen.press("n");
    await screen.waitFor("Create key");
    await screen.press("\x1b[B", "\x1b[B", "\x1b[B", "\x1b[B", "\x1b[B", "\r");
    assert.match(await screen.waitFor("Too small"), /Name\s+›?/);
    await screen.press("\x1b[A", "\x1b[A");
    await screen.press("bad tag");
    await screen.press("\x1b[A", "\x1b[A", "\x1b[A");
    await screen.press("new-key");
    await screen.press("\x1b[B", "\x1b[B", "\x1b[B", "\x1b[B", "\x1b[B", "\r");
    await screen.waitFor("Expected key=value, got bad tag");
    await screen.press("\x1b[A", "\x1b[A", "\x7f".repeat(7), "env=dev");
    await screen.press("\x1b[B", "\x1b[B", "\r");
    await screen.waitFor("Created new-key (44444444-");
    const post = seen.find((r) => r.method === "POST" && r.path === "/api/v1/keys");
    assert.deepEqual(post?.body, {
      name: "new-key",
      algorithm: "AES-256-GCM",
      tags: { env: "dev" },
    });
  });
});

Deno.test("the crypto screen encrypts typed text and copies the result", async () => {
  await withTui({}, async ({ screen, seen, copied }) => {
    await screen.press("2", "e");
    await screen.waitFor("Run encrypt");
    await screen.press(KEYS_ID);
    await screen.press("\x1b[B", "\x1b[B", "\x1b[B", "secret text");
    await screen.press("\x1b[B", "\x1b[B", "\r");
    const frame = await screen.waitFor("encrypt → ciphertext");
    assert.match(frame, /fhsm:v2:QUJD/);
    const call = seen.find((r) => r.path.endsWith("/encrypt"));
    assert.deepEqual(call?.body, { plaintext: btoa("secret text") });
    await screen.press("y");
    assert.deepEqual(copied, ["fhsm:v2:QUJD"]);
  });
});

const KEYS_ID = "11111111-aaaa-4bbb-8ccc-000000000001";

Deno.test("approvals are approved after confirmation; the audit chain is verified", async () => {
  await withTui({}, async ({ screen, seen }) => {
    await screen.press("3");
    await screen.waitFor("mallory");
    await screen.press("a");
    await screen.waitFor("Approve destroy of key");
    await screen.press("y");
    await screen.waitFor(/Approved 33333333-.*: executed/);
    assert.ok(seen.some((r) => r.method === "POST" && r.path.endsWith("/approve")));
    await screen.press("4");
    await screen.waitFor("key.rotate");
    await screen.press("v");
    await screen.waitFor("Chain intact (3 entries), head cccccccccccccccc…");
    await screen.press("/", "actor:alice", "\r");
    const frame = await screen.waitFor("2 of 3");
    assert.doesNotMatch(frame, /evil/);
    await screen.press("5");
    await screen.waitFor(/verified\s+intact 3/);
  });
});

Deno.test("help lists the bindings and the palette runs CLI command lines escaped", async () => {
  await withTui({}, async ({ screen, palette }) => {
    await screen.waitFor("payments");
    await screen.press("?");
    const help = await screen.waitFor("Key bindings");
    assert.match(help, /\?\s+Show or hide the key bindings/);
    assert.match(help, /:\s+Command palette/);
    await screen.press("x");
    await screen.waitFor("payments");
    await screen.press(":");
    await screen.waitFor("Command palette");
    await screen.press("key list --json");
    await screen.press("\r");
    const frame = await screen.waitFor("exit 0");
    assert.deepEqual(palette, [["key", "list", "--json", "@addr"]]);
    assert.match(
      frame,
      /"note":"\\x1b\]0;pwned\\x07"/,
      "not JSON (raw ESC): shown as escaped text",
    );
    assertEscaped(frame, screen.raw());
    await screen.press("\x15", "serve");
    await screen.press("\r");
    await screen.waitFor("Cannot run serve inside the TUI");
    await screen.press("\x1b");
    await screen.waitFor("payments");
  });
});

Deno.test("a 401 asks for a new token and the screen carries on with it", async () => {
  const good = tokenExpiringIn("bob", 250);
  await withTui(
    { token: tokenExpiringIn("alice", 200), accept: good },
    async ({ screen, client }) => {
      await screen.waitFor("Token needed");
      assert.match(screen.frame(), /refused the token \(401\)/);
      await screen.press(good);
      assert.ok(!screen.frame().includes(good.slice(0, 20)), "the token is masked");
      await screen.press("\r");
      await screen.waitFor("payments");
      assert.equal(client.token, good);
      assert.match(screen.frame(), /bob · token 4m/);
    },
  );
});

Deno.test("a token about to expire is flagged, an expired one too", async () => {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const clock = () => now;
  await withTui({ token: tokenExpiringIn("carol", 30, now), clock }, async ({ screen }) => {
    assert.match(
      await screen.waitFor("expires in"),
      /carol · ⚠ token expires in 30s · ctrl\+t renew/,
    );
  });
  await withTui({ token: tokenExpiringIn("dave", -5, now), clock }, async ({ screen }) => {
    assert.match(await screen.waitFor("EXPIRED"), /dave · TOKEN EXPIRED/);
  });
});

Deno.test("the layout follows a resize and themes cycle", async () => {
  await withTui({}, async ({ screen }) => {
    await screen.waitFor("payments");
    await screen.resize(120, 30);
    let frame = screen.frame();
    assert.ok(frame.split("\n").some((l) => l.length > 100), "uses the wider terminal");
    await screen.resize(60, 16);
    frame = screen.frame();
    for (const line of frame.split("\n")) assert.ok(line.length <= 60, line);
    assert.ok(frame.split("\n").length <= 16);
    await screen.press("T");
    await screen.waitFor("Theme: light");
    await screen.press("T");
    await screen.waitFor("Theme: high-contrast");
  });
});
