/**
 * The traditional halves of the hybrid KEMs and composite signatures, checked by
 * independent implementations:
 * - pyca/cryptography (Debian `python3-cryptography`; X25519 and ECDH only, so 38.x works)
 *   and Python's hashlib re-derive each hybrid's traditional key pair from the 32-byte seed
 *   (SHAKE256 expansion, RFC 7748 key / rejection-sampled NIST scalar), run the ECDH half
 *   of decapsulation on our ciphertext and apply the SHA3-256 combiner: the result must be
 *   the shared secret our provider decapsulates. The ML-KEM share comes from our ML-KEM
 *   provider (pyca 38 has no ML-KEM).
 * - OpenSSL verifies the ECDSA half of a composite signature over M′, which this test
 *   rebuilds from the draft's definition, with the EC component's SPKI from `/public`.
 * Each part is ignored when its tool is missing.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { sha512 } from "@noble/hashes/sha2.js";
import { shake256 } from "@noble/hashes/sha3.js";
import { concatBytes, toHex, utf8 } from "../../src/core/encoding.ts";
import { toPem } from "../../src/core/pem.ts";
import { compositeSigProvider } from "../../src/core/providers/composite_sig.ts";
import { hybridKemProvider } from "../../src/core/providers/hybrid_kem.ts";
import { loadMlKemKey } from "../../src/core/providers/ml_kem.ts";

async function runs(cmd: string, args: string[]): Promise<boolean> {
  return await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()
    .then((o) => o.success, () => false);
}

const hasPyca = await runs("python3", [
  "-c",
  "import cryptography.hazmat.primitives.asymmetric.x25519",
]);
const hasOpenssl = await runs("openssl", ["version"]);

/** Re-derives the traditional half and combines; reads and writes one JSON object. */
const PYTHON = `
import hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

req = json.load(sys.stdin)
seed, ct, ss_m = (bytes.fromhex(req[k]) for k in ("seed", "ct", "ssM"))
alg = req["alg"]
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
if alg == "ML-KEM-768-X25519":
    expanded = hashlib.shake_256(seed).digest(96)
    sk = x25519.X25519PrivateKey.from_private_bytes(expanded[64:96])
    pk_t = sk.public_key().public_bytes(*raw)
    ct_t = ct[1088:]
    ss_t = sk.exchange(x25519.X25519PublicKey.from_public_bytes(ct_t))
    label = bytes.fromhex("5c2e2f2f5e5c")
else:
    curve, size, nseed, pq_ct, label = {
        "ML-KEM-768-P256": (ec.SECP256R1(), 32, 128, 1088, b"MLKEM768-P256"),
        "ML-KEM-1024-P384": (ec.SECP384R1(), 48, 48, 1568, b"MLKEM1024-P384"),
    }[alg]
    order = {32: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551,
             48: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973}[size]
    expanded = hashlib.shake_256(seed).digest(64 + nseed)
    windows = [int.from_bytes(expanded[64 + i:64 + i + size], "big") for i in range(0, nseed, size)]
    scalar = next(s for s in windows if 0 < s < order)
    sk = ec.derive_private_key(scalar, curve)
    pk_t = sk.public_key().public_bytes(*point)
    ct_t = ct[pq_ct:]
    ss_t = sk.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, ct_t))
print(json.dumps({
    "mlkemSeed": expanded[:64].hex(),
    "tradPublicKey": pk_t.hex(),
    "sharedSecret": hashlib.sha3_256(ss_m + ss_t + ct_t + pk_t + label).digest().hex(),
}))
`;

async function python(request: Record<string, string>): Promise<Record<string, string>> {
  const child = new Deno.Command("python3", {
    args: ["-c", PYTHON],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(utf8(JSON.stringify(request)));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

const HYBRIDS = [
  { alg: "ML-KEM-768-X25519", pq: "ML-KEM-768", pqKey: 1184, pqCt: 1088, tradSeed: 32 },
  { alg: "ML-KEM-768-P256", pq: "ML-KEM-768", pqKey: 1184, pqCt: 1088, tradSeed: 128 },
  { alg: "ML-KEM-1024-P384", pq: "ML-KEM-1024", pqKey: 1568, pqCt: 1568, tradSeed: 48 },
] as const;

for (const { alg, pq, pqKey, pqCt, tradSeed } of HYBRIDS) {
  Deno.test({
    name: `pyca re-derives the ${alg} traditional key and combines to our shared secret`,
    ignore: !hasPyca,
    async fn() {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const key = await hybridKemProvider.load(alg, seed.slice());
      assert.ok(key.encapsulate && key.decapsulate && key.publicKey);
      const { ciphertext, sharedSecret } = await key.encapsulate();
      const raw = key.publicKey().raw ?? new Uint8Array();
      // The ML-KEM share, from our ML-KEM provider with the first 64 expanded bytes.
      const mlKemSeed = shake256(seed, { dkLen: 64 + tradSeed }).subarray(0, 64);
      const mlKem = loadMlKemKey(pq, mlKemSeed.slice());
      assert.ok(mlKem.decapsulate);
      const ssM = await mlKem.decapsulate(ciphertext.subarray(0, pqCt));
      const answer = await python({
        alg,
        seed: toHex(seed),
        ct: toHex(ciphertext),
        ssM: toHex(ssM),
      });
      assert.equal(answer.mlkemSeed, toHex(mlKemSeed));
      assert.equal(answer.tradPublicKey, toHex(raw.subarray(pqKey)), "traditional public key");
      assert.equal(answer.sharedSecret, toHex(sharedSecret), "combined shared secret");
      key.dispose();
    },
  });
}

const COMPOSITES = [
  {
    alg: "ML-DSA-65-EC-P256",
    sig: 3309,
    digest: "-sha256",
    label: "COMPSIG-MLDSA65-ECDSA-P256-SHA512",
  },
  {
    alg: "ML-DSA-87-EC-P384",
    sig: 4627,
    digest: "-sha384",
    label: "COMPSIG-MLDSA87-ECDSA-P384-SHA512",
  },
] as const;

for (const { alg, sig, digest, label } of COMPOSITES) {
  Deno.test({
    name: `openssl verifies the ECDSA half of an ${alg} signature over M′`,
    ignore: !hasOpenssl,
    async fn() {
      const key = await compositeSigProvider.load(alg, await compositeSigProvider.generate(alg));
      assert.ok(key.sign && key.publicKey);
      const message = utf8("interop message\n");
      const context = utf8("openssl");
      const signature = await key.sign(message, { context });
      const ecSpki = key.publicKey().components?.[1]?.spki;
      assert.ok(ecSpki !== undefined);
      const mPrime = concatBytes(
        utf8("CompositeAlgorithmSignatures2025"),
        utf8(label),
        Uint8Array.of(context.length),
        context,
        sha512(message),
      );
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(join(dir, "ec.pem"), toPem("PUBLIC KEY", ecSpki));
        await Deno.writeFile(join(dir, "m.bin"), mPrime);
        await Deno.writeFile(join(dir, "sig.der"), signature.subarray(sig));
        const verify = (file: string) =>
          runs("openssl", [
            "dgst",
            digest,
            "-verify",
            join(dir, "ec.pem"),
            "-signature",
            join(dir, "sig.der"),
            join(dir, file),
          ]);
        assert.equal(await verify("m.bin"), true, "the ECDSA half signs M′");
        await Deno.writeFile(join(dir, "msg.bin"), message);
        assert.equal(await verify("msg.bin"), false, "and not the bare message");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
