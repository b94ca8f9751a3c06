/**
 * End to end with Debian 12's real PKCS#11 stack: OpenSC's pkcs11-tool loads
 * p11-kit-client.so, which talks to a FerroHSM server process over its unix socket.
 * Signatures and ciphertexts are checked with openssl against the public keys the REST
 * API publishes; key generation and refusals are checked in the API and the audit log.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { rawToDer } from "../../src/core/ecdsa_signature.ts";
import { HAS_PKCS11_TOOLS, hexId, skipNote, startPkcs11World, tool } from "./_tools.ts";

Deno.test({
  name: `pkcs11-tool through p11-kit-client.so uses FerroHSM keys${skipNote()}`,
  ignore: !HAS_PKCS11_TOOLS,
  async fn(t) {
    const w = await startPkcs11World();
    try {
      const pin = ["--login", "--pin", w.adminToken];
      const create = async (name: string, algorithm: string, usage?: string[]) => {
        const res = await w.api("POST", "/api/v1/keys", {
          name,
          algorithm,
          ...(usage ? { usage } : {}),
        });
        assert.equal(res.status, 201);
        const pub = await w.api("GET", `/api/v1/keys/${res.body.id}/public`);
        const pem = join(w.work, `${name}.pem`);
        await Deno.writeTextFile(pem, pub.body.pem);
        return { id: res.body.id as string, pem };
      };
      const ec256 = await create("ec-256", "EC-P256");
      const ec384 = await create("ec-384", "EC-P384");
      const rsa = await create("rsa-2048", "RSA-2048", ["sign", "verify", "encrypt", "decrypt"]);
      await create("mac", "HMAC-SHA256");
      const message = new TextEncoder().encode("signed through PKCS#11\n");
      const msgFile = join(w.work, "msg.txt");
      await Deno.writeFile(msgFile, message);

      await t.step("-L shows one FerroHSM token whose serial is the installation id", async () => {
        const out = await w.pkcs11Tool(["-L"]);
        assert.equal(out.code, 0, out.text);
        const id = (await Deno.readTextFile(join(w.inst.dataDir, "installation-id"))).trim();
        assert.match(out.text, /token label\s+: FerroHSM/);
        assert.match(out.text, new RegExp(`serial num\\s+: ${id}`));
        assert.match(out.text, /login required/);
        assert.equal((await w.pkcs11Tool(["-I"])).code, 0);
      });

      await t.step("-M lists what Debian 12's client forwards", async () => {
        const out = await w.pkcs11Tool(["-M"]);
        assert.equal(out.code, 0, out.text);
        for (
          const m of [
            "ECDSA,",
            "ECDSA-KEY-PAIR-GEN",
            "SHA256-RSA-PKCS,",
            "RSA-PKCS-OAEP",
            "SHA256-HMAC",
          ]
        ) {
          assert.ok(out.text.includes(m), `${m} missing:\n${out.text}`);
        }
        // p11-kit 0.24.1 drops mechanisms it cannot serialize, even though the token has them.
        assert.ok(!out.text.includes("ECDSA-SHA256"), out.text);
        assert.ok(!out.text.includes("SHA256-RSA-PKCS-PSS"), out.text);
      });

      await t.step("--login -O lists the keys with their attributes", async () => {
        const out = await w.pkcs11Tool([...pin, "-O"]);
        assert.equal(out.code, 0, out.text);
        assert.equal(out.text.match(/Private Key Object; EC/g)?.length, 2);
        assert.equal(out.text.match(/Public Key Object; RSA 2048 bits/g)?.length, 1);
        assert.match(out.text, /Secret Key Object; Generic secret length 32/);
        assert.ok(out.text.includes(`ID:         ${hexId(ec256.id)}`));
        assert.match(out.text, /label:\s+ec-384/);
        assert.match(out.text, /EC_PARAMS:\s+06082a8648ce3d030107/);
        assert.match(out.text, /Access:\s+sensitive, always sensitive, never extractable/);
        assert.match(out.text, /Usage:\s+decrypt, sign/);
        assert.equal((await w.pkcs11Tool(["-O"])).text.includes("Private Key Object"), false);
      });

      for (const [key, md, size] of [[ec256, "sha256", 32], [ec384, "sha384", 48]] as const) {
        await t.step(`--sign -m ECDSA (${md}) gives raw r‖s that openssl verifies`, async () => {
          const digest = (await tool("openssl", ["dgst", `-${md}`, "-binary", msgFile])).stdout;
          const digestFile = join(w.work, `${md}.bin`);
          await Deno.writeFile(digestFile, digest);
          const sigFile = join(w.work, `${md}.sig`);
          const out = await w.pkcs11Tool([
            ...pin,
            "--sign",
            "-m",
            "ECDSA",
            "--id",
            hexId(key.id),
            "-i",
            digestFile,
            "-o",
            sigFile,
          ]);
          assert.equal(out.code, 0, out.text);
          const raw = await Deno.readFile(sigFile);
          assert.equal(raw.length, 2 * size);
          await Deno.writeFile(`${sigFile}.der`, rawToDer(size === 32 ? "P-256" : "P-384", raw));
          const ok = await tool("openssl", [
            "dgst",
            `-${md}`,
            "-verify",
            key.pem,
            "-signature",
            `${sigFile}.der`,
            msgFile,
          ]);
          assert.equal(ok.code, 0, ok.text);
        });
      }

      await t.step("--sign -m SHA256-RSA-PKCS verifies with openssl", async () => {
        const sigFile = join(w.work, "rsa.sig");
        const out = await w.pkcs11Tool([
          ...pin,
          "--sign",
          "-m",
          "SHA256-RSA-PKCS",
          "--id",
          hexId(rsa.id),
          "-i",
          msgFile,
          "-o",
          sigFile,
        ]);
        assert.equal(out.code, 0, out.text);
        const ok = await tool("openssl", [
          "dgst",
          "-sha256",
          "-verify",
          rsa.pem,
          "-signature",
          sigFile,
          msgFile,
        ]);
        assert.equal(ok.code, 0, ok.text);
      });

      await t.step(
        "--decrypt -m RSA-PKCS-OAEP recovers what openssl pkeyutl encrypted",
        async () => {
          const ct = join(w.work, "ct.bin");
          const enc = await tool("openssl", [
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            rsa.pem,
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
            "-in",
            msgFile,
            "-out",
            ct,
          ]);
          assert.equal(enc.code, 0, enc.text);
          const pt = join(w.work, "pt.txt");
          const out = await w.pkcs11Tool([
            ...pin,
            "--decrypt",
            "-m",
            "RSA-PKCS-OAEP",
            "--hash-algorithm",
            "SHA256",
            "--id",
            hexId(rsa.id),
            "-i",
            ct,
            "-o",
            pt,
          ]);
          assert.equal(out.code, 0, out.text);
          assert.deepEqual(await Deno.readFile(pt), message);
        },
      );

      await t.step("--keypairgen creates a key visible in the API and the audit log", async () => {
        const out = await w.pkcs11Tool([
          ...pin,
          "--keypairgen",
          "--key-type",
          "EC:prime256v1",
          "--label",
          "made-by-p11",
        ]);
        assert.equal(out.code, 0, out.text);
        const list = await w.api("GET", "/api/v1/keys?per_page=100");
        const made = list.body.items.find((k: { name: string }) => k.name === "made-by-p11");
        assert.equal(made?.algorithm, "EC-P256");
        assert.ok(out.text.includes(hexId(made.id)));
        const audit = await w.api("GET", "/api/v1/audit?limit=1000");
        const entry = audit.body.items.find((e: { action: string; key_id: string }) =>
          e.action === "key.create" && e.key_id === made.id
        );
        assert.equal(entry?.actor, "pkcs11:alice");
        assert.equal(entry?.result, "ok");
      });

      await t.step("a wrong PIN is CKR_PIN_INCORRECT", async () => {
        const out = await w.pkcs11Tool(["--login", "--pin", "123456", "-O"]);
        assert.notEqual(out.code, 0);
        assert.match(out.text, /CKR_PIN_INCORRECT/);
      });

      await t.step("a Service token lacking key:create is refused and audited", async () => {
        const svc = await w.inst.token("svc", ["Service"]);
        const out = await w.pkcs11Tool([
          "--login",
          "--pin",
          svc,
          "--keypairgen",
          "--key-type",
          "EC:prime256v1",
          "--label",
          "nope",
        ]);
        assert.notEqual(out.code, 0);
        assert.match(out.text, /CKR_FUNCTION_FAILED/);
        const audit = await w.api("GET", "/api/v1/audit?limit=1000");
        assert.ok(
          audit.body.items.some((e: { actor: string; action: string; result: string }) =>
            e.actor === "pkcs11:svc" && e.action === "key.create" && e.result === "forbidden"
          ),
        );
      });

      await t.step("a token file named by the PIN logs a service in", async () => {
        const file = join(w.inst.dataDir, "pkcs11-tokens", "svc.jwt");
        await Deno.writeTextFile(file, await w.inst.token("svc", ["Service"]), { mode: 0o600 });
        const out = await w.pkcs11Tool([
          "--login",
          "--pin",
          "file:svc.jwt",
          "-O",
          "--type",
          "pubkey",
        ]);
        assert.equal(out.code, 0, out.text);
        assert.match(out.text, /Public Key Object; EC/);
      });

      await t.step(
        "--delete-object opens a destruction approval (CKR_FUNCTION_REJECTED)",
        async () => {
          const out = await w.pkcs11Tool([
            ...pin,
            "--delete-object",
            "--type",
            "privkey",
            "--id",
            hexId(ec384.id),
          ]);
          assert.notEqual(out.code, 0);
          assert.match(out.text, /0x200/);
          const approvals = await w.api("GET", "/api/v1/approvals?state=pending");
          const approval = approvals.body.items.find((a: { key_id: string }) =>
            a.key_id === ec384.id
          );
          assert.equal(approval?.action, "key.destroy");
          assert.equal(approval?.requested_by, "alice");
        },
      );

      await t.step("--generate-random returns bytes from the token", async () => {
        const out = await w.pkcs11Tool(["--generate-random", "32"]);
        assert.equal(out.code, 0, out.text);
        assert.equal(out.stdout.length, 32);
      });
    } finally {
      await w.stop();
    }
  },
}); // deno-fmt-ignore
