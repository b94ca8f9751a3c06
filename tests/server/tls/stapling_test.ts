/**
 * A canary for OCSP stapling: Deno's TLS cannot staple today (Deno.serve and
 * Deno.listenTls take only `cert` and `key`; node:https on Deno never emits
 * `OCSPRequest`). When this test fails, a Deno upgrade added stapling to node:https:
 * wire the OCSP monitor's cached response into it (docs/operations.md, Certificates).
 */

import assert from "node:assert/strict";
import { createServer } from "node:https";
import { hasOpenssl, makePki } from "../../../testing/pki.ts";
import { handshake } from "./_handshake.ts";

Deno.test({
  name: "node:https on Deno never asks for an OCSP response to staple",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-staple-" });
    const pki = await makePki(dir);
    const server = createServer({
      cert: await Deno.readTextFile(pki.server.cert),
      key: await Deno.readTextFile(pki.server.key),
    }, (_req, res) => res.end("ok"));
    let asked = 0;
    server.on("OCSPRequest", (_cert: unknown, _issuer: unknown, done: (e: null) => void) => {
      asked++;
      done(null);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (server.address() as { port: number }).port;
      const seen = await handshake(port, "127.0.0.1");
      assert.equal(seen.ocsp, "no response sent");
      assert.equal(asked, 0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
