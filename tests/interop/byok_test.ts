/**
 * BYOK with independent implementations building the wrap from the API's import
 * parameters, the way a customer's tooling would:
 * - OpenSSL only: `openssl genpkey` makes an RSA-2048 key, `openssl pkeyutl -encrypt`
 *   (OAEP, SHA-256, MGF1-SHA-256) wraps an ephemeral AES-256 key for the wrapping key and
 *   `openssl enc -id-aes256-wrap-pad` (RFC 5649) wraps the PKCS#8 under it.
 * - pyca/cryptography (Debian `python3-cryptography`): `padding.OAEP` plus
 *   `keywrap.aes_key_wrap_with_padding` wrap an EC P-256 key OpenSSL generated.
 * The imported keys then sign through the API and OpenSSL verifies the signatures with
 * the public key it derives from its own private key file. Each part is ignored when its
 * tool is missing.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fromBase64, toBase64, toHex } from "../../src/core/encoding.ts";
import { makeTestApp, type TestApp } from "../routes/_app.ts";
import { importParams } from "../routes/_key_ops.ts";

async function runs(cmd: string, args: string[]): Promise<boolean> {
  return await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()
    .then((o) => o.success, () => false);
}

const hasOpenssl = await runs("openssl", ["version"]);
const hasPyca = await runs("python3", ["-c", "from cryptography.hazmat.primitives import keywrap"]);

async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  assert.ok(out.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

async function withApp(fn: (t: TestApp, admin: string, dir: string) => Promise<void>) {
  const t = await makeTestApp(["--key-store", "memory"]);
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-byok-" });
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]), dir);
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Signs `message` through the API and has OpenSSL verify it with `publicPem`. */
async function signAndVerify(
  t: TestApp,
  admin: string,
  id: string,
  dir: string,
  publicPem: string,
): Promise<void> {
  const message = crypto.getRandomValues(new Uint8Array(100));
  const sig = await t.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
    message: toBase64(message),
  });
  assert.equal(sig.status, 200);
  await Deno.writeFile(join(dir, "msg.bin"), message);
  await Deno.writeFile(join(dir, "sig.der"), fromBase64(sig.body.signature) ?? new Uint8Array());
  await Deno.writeTextFile(join(dir, "pub.pem"), publicPem);
  const out = await run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    join(dir, "pub.pem"),
    "-signature",
    join(dir, "sig.der"),
    join(dir, "msg.bin"),
  ]);
  assert.match(new TextDecoder().decode(out), /Verified OK/);
}

Deno.test({
  name: "a wrap built with openssl pkeyutl and enc -id-aes256-wrap-pad imports an RSA key",
  ignore: !hasOpenssl,
  async fn() {
    await withApp(async (t, admin, dir) => {
      const key = join(dir, "rsa.pem");
      await run("openssl", [
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key,
      ]);
      const der = await run("openssl", [
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        key,
        "-outform",
        "DER",
      ]);
      const params = await t.call(admin, "POST", "/api/v1/keys/import-params", {
        algorithm: "RSA-2048",
      });
      assert.equal(params.body.wrapping_algorithm, "RSA-OAEP-SHA256-AES-KWP");
      await Deno.writeTextFile(join(dir, "wrapping.pem"), params.body.wrapping_public_key_pem);
      const aesKey = crypto.getRandomValues(new Uint8Array(32));
      await Deno.writeFile(join(dir, "aes.bin"), aesKey);
      const head = await run("openssl", [
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        join(dir, "wrapping.pem"),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
        "-in",
        join(dir, "aes.bin"),
      ]);
      const tail = await run("openssl", [
        "enc",
        "-id-aes256-wrap-pad",
        "-K",
        toHex(aesKey),
        "-iv",
        "A65959A6",
      ], der);
      assert.equal(head.length, 384);
      const r = await t.call(admin, "POST", "/api/v1/keys/import", {
        name: "openssl rsa",
        algorithm: "RSA-2048",
        import_token: params.body.import_token,
        wrapped_key: toBase64(new Uint8Array([...head, ...tail])),
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const pub = new TextDecoder().decode(await run("openssl", ["pkey", "-in", key, "-pubout"]));
      await signAndVerify(t, admin, r.body.id, dir, pub);
    });
  },
});

const PYCA_WRAP = `
import base64, os, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
wrapping = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
material = open(sys.argv[2], "rb").read()
kek = os.urandom(32)
head = wrapping.encrypt(kek, padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
print(base64.b64encode(head + aes_key_wrap_with_padding(kek, material)).decode())
`;

Deno.test({
  name: "a wrap built with pyca's OAEP and aes_key_wrap_with_padding imports an EC key",
  ignore: !hasOpenssl || !hasPyca,
  async fn() {
    await withApp(async (t, admin, dir) => {
      const key = join(dir, "ec.pem");
      await run("openssl", [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        key,
      ]);
      const der = await run("openssl", [
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        key,
        "-outform",
        "DER",
      ]);
      await Deno.writeFile(join(dir, "ec.der"), der);
      const params = await importParams(t, admin, "EC-P256");
      const pemText = (await t.call(admin, "POST", "/api/v1/keys/import-params", {
        algorithm: "EC-P256",
      })).body;
      await Deno.writeTextFile(join(dir, "wrapping.pem"), pemText.wrapping_public_key_pem);
      const wrapped = new TextDecoder().decode(
        await run("python3", ["-c", PYCA_WRAP, join(dir, "wrapping.pem"), join(dir, "ec.der")]),
      ).trim();
      const r = await t.call(admin, "POST", "/api/v1/keys/import", {
        name: "pyca ec",
        algorithm: "EC-P256",
        import_token: pemText.import_token,
        wrapped_key: wrapped,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      // A wrap made for one token's key does not open with another token.
      const crossed = await t.call(admin, "POST", "/api/v1/keys/import", {
        name: "crossed",
        algorithm: "EC-P256",
        import_token: params.token,
        wrapped_key: wrapped,
      });
      assert.equal(crossed.status, 400);
      const pub = new TextDecoder().decode(await run("openssl", ["pkey", "-in", key, "-pubout"]));
      await signAndVerify(t, admin, r.body.id, dir, pub);
    });
  },
});
