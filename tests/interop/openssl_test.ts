/**
 * Interoperability with OpenSSL as the other party: it verifies our ECDSA (P-256,
 * P-384), RSA PKCS#1 v1.5 and PSS and Ed25519 signatures using the PEM from `/public`,
 * and encrypts with RSA-OAEP-SHA256 to a key we then decrypt. Needs the `openssl`
 * command (installed by .ci/run).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { client, startServerProcess } from "../../testing/server_process.ts";

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

async function openssl(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command("openssl", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return {
    ok: out.success,
    stdout: out.stdout,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toB64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

Deno.test({
  name: "openssl verifies our signatures and encrypts to our RSA keys",
  ignore: !hasOpenssl,
  async fn(t) {
    const inst = await makeInstallation();
    const server = await startServerProcess(inst.flags());
    const work = join(inst.dir, "openssl");
    await Deno.mkdir(work);
    try {
      const api = client(server.url, await inst.token("alice", ["Administrator"]));
      const message = new TextEncoder().encode("interop message for openssl\n");
      await Deno.writeFile(join(work, "msg.bin"), message);
      const cases: [string, string, Record<string, unknown>, string[]][] = [
        ["EC-P256", "sha256", {}, []],
        ["EC-P384", "sha384", {}, []],
        ["RSA-2048", "sha256", {}, []],
        ["RSA-3072", "sha256", { padding: "pss" }, [
          "-sigopt",
          "rsa_padding_mode:pss",
          "-sigopt",
          "rsa_pss_saltlen:32",
        ]],
      ];
      for (const [alg, md, opts, sigopts] of cases) {
        await t.step(`${alg} ${JSON.stringify(opts)} verifies with openssl dgst`, async () => {
          const key = await api("POST", "/api/v1/keys", { name: alg, algorithm: alg });
          const pub = await api("GET", `/api/v1/keys/${key.body.id}/public`);
          const pemFile = join(work, `${alg}.pem`);
          await Deno.writeTextFile(pemFile, pub.body.pem);
          const sig = await api("POST", `/api/v1/keys/${key.body.id}/sign`, {
            message: toB64(message),
            ...opts,
          });
          assert.equal(sig.status, 200);
          const sigFile = join(work, `${alg}.sig`);
          await Deno.writeFile(sigFile, fromB64(sig.body.signature));
          const res = await openssl([
            "dgst",
            `-${md}`,
            "-verify",
            pemFile,
            ...sigopts,
            "-signature",
            sigFile,
            join(work, "msg.bin"),
          ]);
          assert.ok(res.ok, res.text);
          assert.match(res.text, /Verified OK/);
          // A flipped signature byte must fail in openssl too.
          const bad = fromB64(sig.body.signature);
          bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
          await Deno.writeFile(sigFile, bad);
          const res2 = await openssl([
            "dgst",
            `-${md}`,
            "-verify",
            pemFile,
            ...sigopts,
            "-signature",
            sigFile,
            join(work, "msg.bin"),
          ]);
          assert.ok(!res2.ok);
        });
      }

      await t.step("Ed25519 verifies with openssl pkeyutl -rawin", async () => {
        const key = await api("POST", "/api/v1/keys", { name: "ed", algorithm: "Ed25519" });
        const pub = await api("GET", `/api/v1/keys/${key.body.id}/public`);
        await Deno.writeTextFile(join(work, "ed.pem"), pub.body.pem);
        const sig = await api("POST", `/api/v1/keys/${key.body.id}/sign`, {
          message: toB64(message),
        });
        await Deno.writeFile(join(work, "ed.sig"), fromB64(sig.body.signature));
        const res = await openssl([
          "pkeyutl",
          "-verify",
          "-pubin",
          "-inkey",
          join(work, "ed.pem"),
          "-rawin",
          "-in",
          join(work, "msg.bin"),
          "-sigfile",
          join(work, "ed.sig"),
        ]);
        assert.ok(res.ok, res.text);
        assert.match(res.text, /Signature Verified Successfully/);
      });

      await t.step("openssl encrypts with RSA-OAEP-SHA256 and we decrypt", async () => {
        const key = await api("POST", "/api/v1/keys", {
          name: "oaep",
          algorithm: "RSA-2048",
          usage: ["encrypt", "decrypt"],
        });
        const pub = await api("GET", `/api/v1/keys/${key.body.id}/public`);
        await Deno.writeTextFile(join(work, "oaep.pem"), pub.body.pem);
        const res = await openssl([
          "pkeyutl",
          "-encrypt",
          "-pubin",
          "-inkey",
          join(work, "oaep.pem"),
          "-pkeyopt",
          "rsa_padding_mode:oaep",
          "-pkeyopt",
          "rsa_oaep_md:sha256",
          "-pkeyopt",
          "rsa_mgf1_md:sha256",
          "-in",
          join(work, "msg.bin"),
        ]);
        assert.ok(res.ok, res.text);
        const dec = await api("POST", `/api/v1/keys/${key.body.id}/decrypt`, {
          ciphertext: toB64(res.stdout),
        });
        assert.equal(dec.status, 200, JSON.stringify(dec.body));
        assert.deepEqual(fromB64(dec.body.plaintext), message);
      });
    } finally {
      await server.stop();
      await inst.cleanup();
    }
  },
});
