/**
 * OpenSSL 3.0 through libp11's pkcs11 engine (MODULE_PATH = p11-kit-client.so) signs a
 * self-signed certificate with a FerroHSM EC key, the JWT given as the engine's `PIN`
 * setting in openssl.cnf; `openssl verify` accepts the certificate. Also records the
 * measured limit: libp11 0.4.12 refuses a JWT as a URI `pin-value` (32-byte buffer),
 * while a short `file:NAME` PIN naming a token file fits.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  HAS_PKCS11_ENGINE,
  P11_CLIENT,
  PKCS11_ENGINE,
  skipNote,
  startPkcs11World,
  tool,
} from "./_tools.ts";

function engineConfig(pin?: string): string {
  return [
    "openssl_conf = openssl_init",
    "[openssl_init]",
    "engines = engine_section",
    "[engine_section]",
    "pkcs11 = pkcs11_section",
    "[pkcs11_section]",
    "engine_id = pkcs11",
    `dynamic_path = ${PKCS11_ENGINE}`,
    `MODULE_PATH = ${P11_CLIENT}`,
    ...(pin === undefined ? [] : [`PIN = ${pin}`]),
    "init = 0",
    "[req]",
    "distinguished_name = dn",
    "[dn]",
    "",
  ].join("\n");
}

Deno.test({
  name: `openssl signs a certificate with a FerroHSM EC key through the pkcs11 engine${
    skipNote(true)
  }`,
  ignore: !HAS_PKCS11_ENGINE,
  async fn() {
    const w = await startPkcs11World();
    try {
      const key = await w.api("POST", "/api/v1/keys", { name: "tls-signer", algorithm: "EC-P256" });
      assert.equal(key.status, 201);
      const cnf = join(w.work, "openssl.cnf");
      await Deno.writeTextFile(cnf, engineConfig(w.adminToken), { mode: 0o600 });
      const cert = join(w.work, "cert.pem");
      const uri = "pkcs11:token=FerroHSM;object=tls-signer;type=private";
      const env = { ...w.env, OPENSSL_CONF: cnf };
      const req = await tool("openssl", [
        "req",
        "-new",
        "-x509",
        "-engine",
        "pkcs11",
        "-keyform",
        "engine",
        "-key",
        uri,
        "-subj",
        "/CN=ferrohsm-pkcs11-test",
        "-days",
        "1",
        "-sha256",
        "-out",
        cert,
      ], env);
      assert.equal(req.code, 0, req.text);
      const verify = await tool("openssl", ["verify", "-CAfile", cert, cert]);
      assert.equal(verify.code, 0, verify.text);
      assert.match(verify.text, /OK/);
      // The certificate's key is the FerroHSM key.
      const pub = await w.api("GET", `/api/v1/keys/${key.body.id}/public`);
      const certKey = await tool("openssl", ["x509", "-in", cert, "-noout", "-pubkey"]);
      assert.equal(certKey.text.trim(), pub.body.pem.trim());
      const audit = await w.api("GET", "/api/v1/audit?limit=1000");
      assert.ok(
        audit.body.items.some((e: { actor: string; action: string; key_id: string }) =>
          e.actor === "pkcs11:alice" && e.action === "key.sign" && e.key_id === key.body.id
        ),
      );

      // Measured: a JWT is too long for libp11's pin-value buffer, so the URI form fails.
      assert.ok(w.adminToken.length > 32);
      await Deno.writeTextFile(cnf, engineConfig(), { mode: 0o600 });
      const viaUri = await tool("openssl", [
        "req",
        "-new",
        "-x509",
        "-engine",
        "pkcs11",
        "-keyform",
        "engine",
        "-key",
        `${uri};pin-value=${w.adminToken}`,
        "-subj",
        "/CN=x",
        "-days",
        "1",
        "-out",
        join(w.work, "no.pem"),
      ], env);
      assert.notEqual(viaUri.code, 0, "libp11 0.4.12 was expected to refuse a long pin-value");
      // A short `file:NAME` PIN naming a token file fits, so URIs can carry it.
      const tokenFile = join(w.inst.dataDir, "pkcs11-tokens", "web");
      await Deno.writeTextFile(tokenFile, w.adminToken, { mode: 0o600 });
      const viaFile = await tool("openssl", [
        "req",
        "-new",
        "-x509",
        "-engine",
        "pkcs11",
        "-keyform",
        "engine",
        "-key",
        `${uri};pin-value=file:web`,
        "-subj",
        "/CN=y",
        "-days",
        "1",
        "-out",
        join(w.work, "file.pem"),
      ], env);
      assert.equal(viaFile.code, 0, viaFile.text);
    } finally {
      await w.stop();
    }
  },
}); // deno-fmt-ignore
