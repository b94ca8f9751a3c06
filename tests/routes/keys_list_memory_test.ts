/**
 * Distinct heavy listings cannot exhaust the server's memory: 100 keys with 32 tags of
 * 256 two-byte characters each, listed by eight actors with fifty page sizes (400
 * different queries of up to 2 MiB each), leave the server alive and under the 512 MiB
 * RSS target. Without a byte bound the listing cache alone would hold ≈ 600 MiB and V8
 * would abort the process at its 320 MiB heap bound.
 */

import assert from "node:assert/strict";
import { makeInstallation } from "../../testing/installation.ts";
import { client, startServerProcess } from "../../testing/server_process.ts";

const MIB = 1024 * 1024;

/** Resident set size of `pid` in bytes, from `ps` (reading /proc needs --allow-all in Deno 2.9). */
async function rss(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim()) * 1024;
}

Deno.test("400 distinct heavy key listings keep the server alive and under 512 MiB RSS", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
  try {
    const admin = client(server.url, await inst.token("admin", ["Administrator"]));
    const tags: Record<string, string> = {};
    for (let i = 0; i < 32; i++) tags[`t${i}`] = "Ж".repeat(256);
    for (let i = 0; i < 100; i++) {
      const r = await admin("POST", "/api/v1/keys", {
        name: `heavy-${i}`,
        algorithm: "HMAC-SHA256",
        tags,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    for (let actor = 0; actor < 8; actor++) {
      const call = client(server.url, await inst.token(`reader-${actor}`, ["Auditor"]));
      for (let perPage = 51; perPage <= 100; perPage++) {
        const r = await call("GET", `/api/v1/keys?per_page=${perPage}`);
        assert.equal(r.status, 200, `actor ${actor} per_page ${perPage}: ${r.status}`);
        assert.equal(r.body.items.length, perPage);
      }
    }
    const resident = await rss(server.serverPid);
    assert.ok(resident > 0 && resident < 512 * MIB, `RSS ${Math.round(resident / MIB)} MiB`);
    const health = await admin("GET", "/healthz");
    assert.equal(health.status, 200);
    assert.ok(health.body.list_cache.bytes <= health.body.list_cache.maxBytes);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
