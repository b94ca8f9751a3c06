/**
 * RFC 8705 certificate binding in the auth middleware: a token with `cnf["x5t#S256"]` is
 * accepted only when the connection's client certificate has that thumbprint; every
 * refusal is the same 401 as any other bad credential; unbound tokens need no certificate.
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { HsmError } from "../../src/domain/errors.ts";
import { createApp } from "../../src/http/app.ts";
import { type Authenticator, certificateBindingHolds } from "../../src/http/auth_middleware.ts";
import type { AppEnv, ConnectionBindings } from "../../src/http/context.ts";

const BOUND = "x".repeat(43);
const OTHER = "y".repeat(43);

/** `bound` tokens carry cnf = BOUND; `plain` tokens none; anything else is refused. */
const authenticator: Authenticator = {
  verify(token: string) {
    if (token === "bound") {
      return Promise.resolve({ sub: "a", roles: ["Operator"], cnfX5tS256: BOUND });
    }
    if (token === "plain") return Promise.resolve({ sub: "b", roles: ["Operator"] });
    return Promise.reject(new HsmError("unauthenticated", "Invalid or expired credentials"));
  },
};

function makeApp(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.get("/", (c) => c.json({ actor: c.get("actor").id }));
  return createApp({ authenticator, api: [["/things", api]], open: [] });
}

function get(app: Hono<AppEnv>, token: string, env?: ConnectionBindings) {
  return app.request(
    "/api/v1/things",
    { headers: { Authorization: `Bearer ${token}` } },
    env,
  );
}

Deno.test("a certificate-bound token works only with the certificate it is bound to", async () => {
  const app = makeApp();
  const ok = await get(app, "bound", { clientAddress: "::1", clientCertThumbprint: BOUND });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { actor: "a" });
  const refusals = [
    await get(app, "bound", { clientAddress: "::1", clientCertThumbprint: OTHER }),
    await get(app, "bound", { clientAddress: "::1" }),
    await get(app, "bound"),
    await get(app, "garbage", { clientAddress: "::1", clientCertThumbprint: BOUND }),
  ];
  for (const res of refusals) {
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("WWW-Authenticate"), 'Bearer realm="ferrohsm"');
    assert.deepEqual(await res.json(), {
      error: { code: "unauthenticated", message: "Invalid or expired credentials" },
    });
  }
});

Deno.test("a token without cnf needs no client certificate", async () => {
  const app = makeApp();
  assert.equal((await get(app, "plain")).status, 200);
  assert.equal(
    (await get(app, "plain", { clientAddress: "::1", clientCertThumbprint: OTHER })).status,
    200,
  );
});

Deno.test("certificateBindingHolds compares whole thumbprints", () => {
  assert.equal(certificateBindingHolds(BOUND, BOUND), true);
  assert.equal(certificateBindingHolds(BOUND, OTHER), false);
  assert.equal(certificateBindingHolds(BOUND, BOUND.slice(1)), false);
  assert.equal(certificateBindingHolds(BOUND, undefined), false);
});

Deno.test("a failed certificate binding is reported to the authenticator's observer", async () => {
  const reasons: string[] = [];
  const api = new Hono<AppEnv>();
  api.get("/", (c) => c.json({ actor: c.get("actor").id }));
  const app = createApp({
    authenticator: { ...authenticator, reportFailure: (r: string) => reasons.push(r) },
    api: [["/things", api]],
    open: [],
  });
  assert.equal(
    (await get(app, "bound", { clientAddress: "::1", clientCertThumbprint: OTHER })).status,
    401,
  );
  assert.equal((await get(app, "plain")).status, 200);
  assert.deepEqual(reasons, ["certificate_mismatch"]);
});
