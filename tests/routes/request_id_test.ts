/**
 * Audit correlation: the `X-Request-Id` a client sends (or the one the app makes up) is
 * echoed in the answer and recorded in every audit entry the request writes, and the
 * chain with those ids still verifies.
 */

import assert from "node:assert/strict";
import { jsonRequest, readResponse } from "../../testing/server_process.ts";
import { makeTestApp } from "./_app.ts";

Deno.test("a client's X-Request-Id is echoed and recorded in the audit entry", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const body = { name: "corr", algorithm: "AES-256-GCM" };
    const init = jsonRequest("POST", admin, body, { "X-Request-Id": "build-42.step_1" });
    const res = await readResponse(await t.app.request("/api/v1/keys", init));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("X-Request-Id"), "build-42.step_1");
    // A made-up id when the client sends none (or an unusable one), recorded as well.
    const bad = jsonRequest("GET", admin, undefined, { "X-Request-Id": "no spaces allowed" });
    const read = await readResponse(await t.app.request(`/api/v1/keys/${res.body.id}`, bad));
    const generated = read.headers.get("X-Request-Id");
    assert.ok(generated !== null && generated !== "no spaces allowed");

    const audit = await t.call(admin, "GET", "/api/v1/audit?limit=1000");
    const create = audit.body.items.find((e: { action: string }) => e.action === "key.create");
    assert.equal(create.request_id, "build-42.step_1");
    assert.equal(create.key_id, res.body.id);
    const get = audit.body.items.find((e: { action: string }) => e.action === "key.read");
    assert.equal(get.request_id, generated);
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
  } finally {
    await t.close();
  }
});
