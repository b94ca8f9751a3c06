/**
 * The API refuses control characters (C0, DEL, C1, bidi controls, line separators) in
 * key names and tag keys and values, so stored keys never carry text that could drive
 * an operator's terminal or reorder what a reviewer reads.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "./_app.ts";

const CONTROLS = ["\x1b[31m", "\x07", "\r", "\x9b", "\x7f", "\u202e", "\u2066", "\u200f", "\u2028"];

Deno.test("key names, tag keys and tag values with control characters answer 400", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    for (const ch of CONTROLS) {
      const bodies = [
        { name: `name${ch}x`, algorithm: "AES-256-GCM" },
        { name: "ok", algorithm: "AES-256-GCM", tags: { [`k${ch}`]: "v" } },
        { name: "ok", algorithm: "AES-256-GCM", tags: { env: `prod${ch}` } },
      ];
      for (const body of bodies) {
        const r = await t.call(admin, "POST", "/api/v1/keys", body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} answered ${r.status}`);
        assert.equal(r.body.error.code, "invalid_request");
      }
    }
    const list = await t.call(admin, "GET", "/api/v1/keys");
    assert.equal(list.body.total, 0);
    const ok = await t.call(admin, "POST", "/api/v1/keys", {
      name: "Zoë Ж 日本",
      algorithm: "AES-256-GCM",
      tags: { owner: "Zoë Ж 日本 🔑", note: "a b\u00e9" },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  } finally {
    await t.close();
  }
});
