/**
 * Wycheproof's private keys through the import check: every distinct RSA PKCS#8 key of
 * the RSA files, every ECDH private key of the P-256/P-384 Web Crypto files (as PKCS#8
 * with its public point, then with that point altered), the ML-DSA-65 seeds and the
 * ML-KEM-768 key-generation seeds. Accepted keys must load with the vector's public key;
 * altered ones must be refused. The route test feeds a sample through the REST API.
 */

import assert from "node:assert/strict";
import { DER_TAG, encodeBitString, encodeDer } from "../../../src/core/asn1.ts";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import { checkImportMaterial } from "../../../src/core/providers/material_check.ts";
import { providerFor } from "../../../src/core/providers/index.ts";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { hex, loadVectors, vectorsDir, vectorTest } from "../../_vectors.ts";

const DIR = "wycheproof/testvectors_v1";

interface Group {
  keySize?: string | number;
  privateKeyPkcs8?: string;
  privateKey?: { modulus?: string };
  privateSeed?: string;
  publicKey?: string;
  tests: {
    tcId: number;
    result: string;
    private?: Record<string, string>;
    seed?: string;
    ek?: string;
  }[];
}

/** Loads the public half of `material` (which the provider wipes; pass a copy). */
async function publicOf(algorithm: Algorithm, material: Uint8Array) {
  const key = await providerFor(algorithm).load(algorithm, material.slice());
  try {
    const pub = key.publicKey?.();
    assert.ok(pub !== undefined);
    return pub;
  } finally {
    key.dispose();
  }
}

/** Every distinct RSA PKCS#8 key in the vector folder, with its size. */
function rsaKeys(): Map<string, number> {
  const dir = vectorsDir();
  const keys = new Map<string, number>();
  if (dir === undefined) return keys;
  for (const entry of Deno.readDirSync(`${dir}/${DIR}`)) {
    if (!entry.name.startsWith("rsa_")) continue;
    const file = loadVectors<{ testGroups: Group[] }>(`${DIR}/${entry.name}`);
    for (const g of file.testGroups) {
      if (g.privateKeyPkcs8 !== undefined) keys.set(g.privateKeyPkcs8, Number(g.keySize));
    }
  }
  return keys;
}

vectorTest(
  "wycheproof RSA private keys pass the import check and keep their modulus",
  `${DIR}/rsa_oaep_3072_sha256_mgf1sha256_test.json`,
  async () => {
    const keys = rsaKeys();
    assert.ok(keys.size >= 15, `only ${keys.size} RSA keys found`);
    for (const [pkcs8, bits] of keys) {
      const algorithm = `RSA-${bits}` as Algorithm;
      const material = hex(pkcs8);
      const checked = await checkImportMaterial(algorithm, material);
      assert.deepEqual(checked, material);
      const pub = await publicOf(algorithm, checked);
      assert.equal(typeof pub.jwk.n, "string");
      // Under another size's name the same key is refused.
      const other = bits === 2048 ? "RSA-3072" : "RSA-2048";
      await assert.rejects(checkImportMaterial(other, material), (e) => isHsmError(e));
    }
  },
);

/** PKCS#8 of an EC private key with its public point (as OpenSSL writes them). */
function ecPkcs8(curveOid: Uint8Array, d: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(1)),
    encodeDer(DER_TAG.octetString, d),
    encodeDer(0xa1, encodeBitString(point)),
  );
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(0)),
    encodeDer(
      DER_TAG.sequence,
      encodeDer(DER_TAG.oid, Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01)),
      encodeDer(DER_TAG.oid, curveOid),
    ),
    encodeDer(DER_TAG.octetString, ecPrivateKey),
  );
}

const EC_FILES: [string, Algorithm, Uint8Array][] = [
  ["ecdh_secp256r1_webcrypto_test.json", "EC-P256", hex("2a8648ce3d030107")],
  ["ecdh_secp384r1_webcrypto_test.json", "EC-P384", hex("2b81040022")],
];

for (const [file, algorithm, oid] of EC_FILES) {
  vectorTest(
    `wycheproof ${file}: private keys import with their point and are refused with it altered`,
    `${DIR}/${file}`,
    async () => {
      const vectors = loadVectors<{ testGroups: Group[] }>(`${DIR}/${file}`);
      const seen = new Set<string>();
      for (const t of vectors.testGroups.flatMap((g) => g.tests)) {
        const jwk = t.private;
        if (jwk?.d === undefined || seen.has(jwk.d)) continue;
        seen.add(jwk.d);
        const [d, x, y] = [jwk.d, jwk.x, jwk.y].map((v) => fromBase64Url(v ?? "")) as [
          Uint8Array,
          Uint8Array,
          Uint8Array,
        ];
        const point = Uint8Array.of(4, ...x, ...y);
        const material = ecPkcs8(oid, d, point);
        const pub = await publicOf(algorithm, await checkImportMaterial(algorithm, material));
        assert.deepEqual([pub.jwk.x, pub.jwk.y], [jwk.x, jwk.y], `tcId ${t.tcId}`);
        const altered = point.slice();
        altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 1;
        await assert.rejects(
          checkImportMaterial(algorithm, ecPkcs8(oid, d, altered)),
          (e) => isHsmError(e, "invalid_request") && /public point/.test(e.message),
          `tcId ${t.tcId} altered`,
        );
      }
      assert.ok(seen.size >= 20, `only ${seen.size} private keys`);
    },
  );
}

vectorTest(
  "wycheproof ML-DSA-65 seeds import and derive the vector's public key; bad seeds are refused",
  `${DIR}/mldsa_65_sign_seed_test.json`,
  async () => {
    const vectors = loadVectors<{ testGroups: Group[] }>(`${DIR}/mldsa_65_sign_seed_test.json`);
    let accepted = 0;
    let refused = 0;
    for (const g of vectors.testGroups) {
      const seed = hex(g.privateSeed ?? "");
      if (g.tests.every((t) => t.result === "invalid") && seed.length !== 32) {
        await assert.rejects(
          checkImportMaterial("ML-DSA-65", seed),
          (e) => isHsmError(e, "invalid_request"),
        );
        refused++;
        continue;
      }
      const pub = await publicOf("ML-DSA-65", await checkImportMaterial("ML-DSA-65", seed));
      assert.equal(toHex(pub.raw ?? new Uint8Array(0)), g.publicKey);
      accepted++;
    }
    assert.ok(accepted >= 30 && refused >= 3, `${accepted} accepted, ${refused} refused`);
  },
);

vectorTest(
  "wycheproof ML-KEM-768 key-generation seeds import and derive the vector's key",
  `${DIR}/mlkem_768_keygen_seed_test.json`,
  async () => {
    const path = `${DIR}/mlkem_768_keygen_seed_test.json`;
    const vectors = loadVectors<{ testGroups: Group[] }>(path);
    const tests = vectors.testGroups.flatMap((g) => g.tests);
    for (const t of tests) {
      const checked = await checkImportMaterial("ML-KEM-768", hex(t.seed ?? ""));
      const pub = await publicOf("ML-KEM-768", checked);
      assert.equal(toHex(pub.raw ?? new Uint8Array(0)), t.ek, `tcId ${t.tcId}`);
    }
    assert.equal(tests.length, 100);
  },
);
