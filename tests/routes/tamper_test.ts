/**
 * Tamper detection at rest, through the API: a flipped byte in a sealed version or an
 * edited key record (SQLite row or `current.json` / version file) answers 422
 * `integrity_error`, and the tampered data is never used.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { makeTestApp } from "./_app.ts";

Deno.test("SQLite: a flipped ciphertext byte or an edited key row answers 422", async () => {
  const t = await makeTestApp([]);
  const db = createClient({ url: `file:${join(t.inst.dataDir, "ferrohsm.db")}` });
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const a = await t.call(admin, "POST", "/api/v1/keys", { name: "a", algorithm: "EC-P256" });
    const b = await t.call(admin, "POST", "/api/v1/keys", { name: "b", algorithm: "AES-256-GCM" });
    await db.execute({
      sql: "UPDATE key_versions SET ciphertext = zeroblob(length(ciphertext)) WHERE key_id = ?",
      args: [a.body.id],
    });
    const sign = await t.call(admin, "POST", `/api/v1/keys/${a.body.id}/sign`, { message: "aGk=" });
    assert.equal(sign.status, 422);
    assert.equal(sign.body.error.code, "integrity_error");
    assert.equal(sign.body.signature, undefined);

    await t.call(admin, "POST", `/api/v1/keys/${b.body.id}/revoke`);
    await db.execute({ sql: "UPDATE keys SET state = 'active' WHERE id = ?", args: [b.body.id] });
    await t.reopen(); // the running server trusts the records it verified and wrote itself
    const enc = await t.call(admin, "POST", `/api/v1/keys/${b.body.id}/encrypt`, {
      plaintext: "aGk=",
    });
    assert.equal(enc.status, 422, "a revoked key edited back to active is detected");
    const get = await t.call(admin, "GET", `/api/v1/keys/${b.body.id}`);
    assert.equal(get.status, 422);
  } finally {
    db.close();
    await t.close();
  }
});

Deno.test("filesystem: an edited version file or current.json answers 422", async () => {
  const t = await makeTestApp(["--key-store", "filesystem"]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const k = await t.call(admin, "POST", "/api/v1/keys", { name: "f", algorithm: "Ed25519" });
    const dir = join(t.inst.dataDir, "keys", k.body.id);
    const vfile = join(dir, "v00000001.json");
    const sealed = JSON.parse(await Deno.readTextFile(vfile));
    // Narrow the sealed usage: the MAC (and the AES-GCM AAD) bind it.
    sealed.usage = ["sign"];
    await Deno.writeTextFile(vfile, JSON.stringify(sealed));
    const sign = await t.call(admin, "POST", `/api/v1/keys/${k.body.id}/sign`, { message: "aGk=" });
    assert.equal(sign.status, 422);

    const k2 = await t.call(admin, "POST", "/api/v1/keys", { name: "g", algorithm: "Ed25519" });
    const cfile = join(t.inst.dataDir, "keys", k2.body.id, "current.json");
    const current = await Deno.readTextFile(cfile);
    await Deno.writeTextFile(cfile, current.replace('"name":"g"', '"name":"h"'));
    await t.reopen(); // the file store indexes records at open
    const get = await t.call(admin, "GET", `/api/v1/keys/${k2.body.id}`);
    assert.equal(get.status, 422);
    assert.equal(get.body.error.code, "integrity_error");
  } finally {
    await t.close();
  }
});
