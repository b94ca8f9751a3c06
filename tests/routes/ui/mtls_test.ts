/**
 * Dashboard sign-in by client certificate end to end (real server through the launcher,
 * node:https listener, certificates made with openssl): a certificate the map lists opens
 * a session by itself, the session works only over that certificate, an unlisted one of
 * the same CA gets the token form, and a `cnf`-bound token signs in only over its own
 * certificate.
 */

import assert from "node:assert/strict";
import { makeInstallation } from "../../../testing/installation.ts";
import { hasOpenssl, makePki, opensslThumbprint, tlsClient } from "../../../testing/pki.ts";
import { startServerProcess } from "../../../testing/server_process.ts";
import { mintToken } from "../../../src/auth/token_mint.ts";

Deno.test({
  name: hasOpenssl
    ? "a listed client certificate signs in to the dashboard over mutual TLS, and only it"
    : "a listed client certificate signs in to the dashboard (ignored: openssl not installed)",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const pki = await makePki(inst.dir);
    const one = await tlsClient(pki, pki.client1);
    const two = await tlsClient(pki, pki.client2);
    const thumbprint = await opensslThumbprint(pki.client1.cert);
    const map = await inst.writeFile(
      "ui-certs.json",
      JSON.stringify({
        version: 1,
        certificates: [{ "x5t#S256": thumbprint, sub: "carol", roles: ["Administrator"] }],
      }),
    );
    const server = await startServerProcess(inst.flags([
      "--tls-cert",
      pki.server.cert,
      "--tls-key",
      pki.server.key,
      "--tls-client-ca",
      pki.ca,
      "--ui-client-certs",
      map,
    ]));
    try {
      const get = async (client: Deno.HttpClient, path: string, cookie?: string) => {
        const res = await fetch(`${server.url}${path}`, {
          client,
          redirect: "manual",
          headers: cookie === undefined ? {} : { Cookie: cookie },
        });
        return { status: res.status, headers: res.headers, text: await res.text() };
      };
      const signIn = await get(one, "/ui/login");
      assert.equal(signIn.status, 303);
      assert.equal(signIn.headers.get("Location"), "/ui");
      const cookie = /(__Host-ferrohsm_session=[A-Za-z0-9_-]+)/.exec(
        signIn.headers.get("Set-Cookie") ?? "",
      )?.[1] as string;
      assert.ok(cookie !== undefined);
      const home = await get(one, "/ui", cookie);
      assert.equal(home.status, 200);
      assert.match(home.text, /Signed in as <strong>carol<\/strong> \(Administrator\)/);

      const unlisted = await get(two, "/ui/login");
      assert.equal(unlisted.status, 200, "a certificate the map does not list gets the form");
      assert.equal(unlisted.headers.get("Set-Cookie"), null);
      const replay = await get(two, "/ui", cookie);
      assert.equal(replay.status, 303, "the cookie over another certificate is refused");
      assert.equal((await get(one, "/ui", cookie)).status, 303, "and that ended the session");

      const bound = await mintToken(inst.keysetFile, {
        sub: "dave",
        roles: ["Auditor"],
        ttl: 300,
        kid: "hs",
        cnfX5tS256: thumbprint,
      });
      const post = (client: Deno.HttpClient) =>
        fetch(`${server.url}/ui/login`, {
          client,
          method: "POST",
          redirect: "manual",
          headers: {
            Origin: server.url,
            "Content-Type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ token: bound }),
        });
      const wrong = await post(two);
      await wrong.body?.cancel();
      assert.equal(wrong.status, 401, "a cnf-bound token over another certificate");
      const right = await post(one);
      await right.body?.cancel();
      assert.equal(right.status, 303);
    } finally {
      one.close();
      two.close();
      await server.stop();
      await inst.cleanup();
    }
  },
});
