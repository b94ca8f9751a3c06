/**
 * `ferrohsm tui` in a real pseudo-terminal (tmux, 80×24) against a real server process:
 * create a key through the form, sign a message on the Crypto screen, and check the
 * signature verifies on the server. Skipped, with a message, when tmux is absent
 * (`apt-get install -y tmux`). With UPDATE_TUI_SCREENSHOTS=1 it also writes text
 * captures of every screen to docs/img/tui-*.txt (shown in the README).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { ROOT, startServerProcess } from "../../testing/server_process.ts";
import { CLI_PERMISSIONS } from "../cli/_cli.ts";

function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const TMUX = hasTmux();
if (!TMUX) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      "tmux_live_test: skipped, tmux is not installed (apt-get install -y tmux)\n",
    ),
  );
}

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "the TUI creates a key and signs with it in a real terminal against a live server",
  ignore: !TMUX,
  sanitizeResources: false,
  fn: async () => {
    const inst = await makeInstallation();
    const server = await startServerProcess(inst.flags());
    const socket = `ferrohsm-tui-${Deno.pid}`;
    const shots = Deno.env.get("UPDATE_TUI_SCREENSHOTS") === "1";
    try {
      const token = await inst.token("alice", ["Administrator"]);
      const cmd = [Deno.execPath(), "run", ...CLI_PERMISSIONS, "main.ts", "tui"].join(" ");
      await tmux(
        socket,
        "new-session",
        "-d",
        "-x",
        "80",
        "-y",
        "24",
        "-c",
        ROOT,
        "-e",
        `FERROHSM_ADDR=${server.url}`,
        "-e",
        `FERROHSM_TOKEN=${token}`,
        "-e",
        "NO_COLOR=1",
        `${cmd}; sleep 30`,
      );
      const pane = () => tmux(socket, "capture-pane", "-p");
      const keys = async (...k: string[]) => {
        for (const key of k) {
          await tmux(socket, "send-keys", key);
          await new Promise((r) => setTimeout(r, 60));
        }
      };
      const type = async (text: string) => {
        await tmux(socket, "send-keys", "-l", text);
        await new Promise((r) => setTimeout(r, 100));
      };
      const waitFor = async (pattern: RegExp): Promise<string> => {
        for (let i = 0; i < 300; i++) {
          const text = await pane();
          if (pattern.test(text)) {
            await new Promise((r) => setTimeout(r, 150));
            return await pane();
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`timed out waiting for ${pattern}; pane:\n${await pane()}`);
      };
      const shot = async (name: string) => {
        if (shots) {
          await Deno.writeTextFile(join(ROOT, "docs", "img", `tui-${name}.txt`), await pane());
        }
      };

      await waitFor(/no keys — press n/);
      await keys("n");
      await waitFor(/Create key/);
      await type("tui-signing");
      await keys("Enter", "Right", "Right", "Right", "Right", "Right", "Down", "Down");
      await type("env=demo");
      await shot("create");
      await keys("Down", "Down", "Enter");
      const detail = await waitFor(/Created tui-signing/);
      assert.match(detail, /algorithm\s+EC-P256/);
      assert.match(detail, /1\s+active\s+\S+\s+current/);
      const id = /id\s+([0-9a-f-]{36})/.exec(detail)?.[1] ?? "";
      assert.ok(id !== "", detail);
      await shot("key");

      await keys("c");
      await waitFor(/Run encrypt/);
      await keys("Down", "Right", "Right", "Down", "Down");
      await type("hello from tmux");
      await keys("Down", "Down", "Down", "Down", "Down", "Enter");
      const signed = await waitFor(/sign done with version 1/);
      await shot("crypto");
      const lines = signed.split("\n");
      const at = lines.findIndex((l) => l.startsWith("sign → signature"));
      const signature = lines.slice(at + 1).join("").match(/^[A-Za-z0-9+/=]+/)?.[0] ?? "";
      const res = await fetch(`${server.url}/api/v1/keys/${id}/verify`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ message: btoa("hello from tmux"), signature }),
      });
      assert.deepEqual(await res.json(), { valid: true, version: 1 });

      if (shots) {
        await keys("1", "Escape");
        await waitFor(/tui-signing\s+EC-P256/);
        await shot("keys");
        await keys("3");
        await waitFor(/Approvals — pending/);
        await shot("approvals");
        await keys("4");
        await waitFor(/key\.create/);
        await keys("v");
        await waitFor(/Chain intact/);
        await shot("audit");
        await keys("5");
        await waitFor(/Caches/);
        await new Promise((r) => setTimeout(r, 2500));
        await shot("health");
        await keys("?");
        await waitFor(/Key bindings/);
        await shot("help");
        await keys("Escape", ":");
        await waitFor(/Command palette/);
        await type("key list");
        await keys("Enter");
        await waitFor(/exit 0/);
        await shot("palette");
      }
      await keys("Escape", "q");
      await waitFor(/sleep|\$ *$|^\s*$/m);
    } finally {
      await tmux(socket, "kill-server").catch(() => "");
      await server.stop();
      await inst.cleanup();
    }
  },
});
