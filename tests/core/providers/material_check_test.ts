/**
 * Imported key material: what `checkImportMaterial` accepts (generated keys of every
 * algorithm, Ed25519 with its public key) and each refusal per algorithm (wrong length,
 * wrong curve or size, an altered EC point, inconsistent RSA values, a composite RSA
 * factor, PKCS#8 attributes). Wycheproof's private keys go through it in
 * `wycheproof_import_test.ts`.
 */

import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import {
  decodeSequence,
  DER_TAG,
  encodeBitString,
  encodeDer,
  encodeUnsignedInteger,
  readUnsignedInteger,
} from "../../../src/core/asn1.ts";
import { checkImportMaterial } from "../../../src/core/providers/material_check.ts";
import { providerFor } from "../../../src/core/providers/index.ts";
import { type Algorithm, ALGORITHM_NAMES } from "../../../src/domain/algorithms.ts";
import { isHsmError } from "../../../src/domain/errors.ts";

function refused(reason: RegExp) {
  return (e: unknown) => isHsmError(e, "invalid_request") && reason.test(e.message);
}

function bigOf(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function bytesOf(x: bigint): Uint8Array {
  const hex = x.toString(16);
  return Uint8Array.from(
    (hex.length % 2 ? "0" + hex : hex).match(/../g) ?? [],
    (h) => parseInt(h, 16),
  );
}

function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return r0 === 1n ? ((s0 % m) + m) % m : undefined;
}

/** The nine RSAPrivateKey integers, version first. */
type Nine = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** The nine RSAPrivateKey integers of an RSA PKCS#8 key. */
function rsaNumbers(pkcs8: Uint8Array): bigint[] {
  const info = decodeSequence(pkcs8);
  const body = info?.[2]?.contents;
  const fields = body === undefined ? undefined : decodeSequence(body);
  if (fields === undefined) throw new TypeError("not RSA PKCS#8");
  return fields.map((f) => bigOf(readUnsignedInteger(f) ?? new Uint8Array(0)));
}

/** PKCS#8 of the given RSAPrivateKey integers (version first). */
function rsaPkcs8(numbers: bigint[]): Uint8Array {
  const rsaOid = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
  const body = encodeDer(
    DER_TAG.sequence,
    ...numbers.map((x) => encodeUnsignedInteger(x === 0n ? new Uint8Array(1) : bytesOf(x))),
  );
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(0)),
    encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, rsaOid), encodeDer(DER_TAG.null)),
    encodeDer(DER_TAG.octetString, body),
  );
}

async function generated(algorithm: Algorithm): Promise<Uint8Array> {
  return await providerFor(algorithm).generate(algorithm);
}

Deno.test("freshly generated material of every algorithm passes the import check", async () => {
  for (const algorithm of ALGORITHM_NAMES) {
    if (algorithm === "RSA-4096" || algorithm === "RSA-3072") continue; // slow keygen; 2048 covers RSA
    const material = await generated(algorithm);
    const checked = await checkImportMaterial(algorithm, material);
    assert.deepEqual(checked, material, algorithm);
  }
});

Deno.test("raw and seed material of the wrong length is refused", async () => {
  const cases: [Algorithm, number, RegExp][] = [
    ["AES-256-GCM", 16, /expected 32 bytes/],
    ["AES-256-GCM", 33, /expected 32 bytes/],
    ["HMAC-SHA256", 31, /expected 32 bytes/],
    ["ML-KEM-768", 32, /expected 64 bytes/],
    ["ML-DSA-65", 64, /expected 32 bytes/],
    ["ML-KEM-768-X25519", 31, /does not load/],
    ["SLH-DSA-SHA2-128s", 47, /does not load/],
  ];
  for (const [algorithm, length, reason] of cases) {
    await assert.rejects(
      checkImportMaterial(algorithm, new Uint8Array(length)),
      refused(reason),
      `${algorithm} with ${length} bytes`,
    );
  }
});

Deno.test("an EC key whose embedded public point was altered is refused", async () => {
  const material = await generated("EC-P256");
  // The uncompressed point is the last 65 bytes of Web Crypto's PKCS#8; move it off.
  const altered = material.slice();
  altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 0x01;
  await assert.rejects(checkImportMaterial("EC-P256", altered), refused(/public point/));
  // A valid point of another key is refused too.
  const other = await generated("EC-P256");
  const swapped = material.slice();
  swapped.set(other.subarray(other.length - 65), swapped.length - 65);
  await assert.rejects(checkImportMaterial("EC-P256", swapped), refused(/does not match/));
  // Web Crypto itself takes the altered key: the check is ours.
  await crypto.subtle.importKey("pkcs8", swapped, { name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
});

Deno.test("EC keys on the wrong curve or with an out-of-range scalar are refused", async () => {
  await assert.rejects(
    checkImportMaterial("EC-P384", await generated("EC-P256")),
    refused(/PKCS#8 EC private key on EC-P384/),
  );
  const material = await generated("EC-P256");
  const n = p256.Point.CURVE().n;
  for (const scalar of [0n, n, n + 1n]) {
    const bad = material.slice();
    // Web Crypto's PKCS#8: the 32-byte scalar follows `04 20` after a fixed 36-byte prefix.
    bad.set(bytesOf(scalar).length > 32 ? new Uint8Array(32) : pad(bytesOf(scalar), 32), 36);
    await assert.rejects(checkImportMaterial("EC-P256", bad), refused(/scalar|public point/));
  }
});

function pad(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

Deno.test("RSA keys that fail a consistency check are refused, naming the check", async () => {
  const material = await generated("RSA-2048");
  const [v, n, e, d, p, q, dP, dQ, qInv] = rsaNumbers(material) as Nine;
  const cases: [string, bigint[], RegExp][] = [
    ["d changed", [v, n, e, d + 2n, p, q, dP, dQ, qInv], /private exponent/],
    ["dP changed", [v, n, e, d, p, q, dP + 1n, dQ, qInv], /CRT exponents/],
    ["qInv changed", [v, n, e, d, p, q, dP, dQ, qInv + 1n], /CRT coefficient/],
    ["n changed", [v, n + 2n, e, d, p, q, dP, dQ, qInv], /product of p and q/],
    ["e even", [v, n, 65536n, d, p, q, dP, dQ, qInv], /public exponent/],
  ];
  for (const [name, numbers, reason] of cases) {
    await assert.rejects(checkImportMaterial("RSA-2048", rsaPkcs8(numbers)), refused(reason), name);
  }
  assert.deepEqual(
    await checkImportMaterial("RSA-2048", rsaPkcs8([v, n, e, d, p, q, dP, dQ, qInv])),
    rsaPkcs8([v, n, e, d, p, q, dP, dQ, qInv]),
  );
  await assert.rejects(checkImportMaterial("RSA-3072", material), refused(/not 3072 bits/));
  await assert.rejects(
    checkImportMaterial("RSA-2048", material.subarray(0, 100)),
    refused(/PKCS#8/),
  );
  await assert.rejects(
    checkImportMaterial("RSA-2048", await generated("EC-P256")),
    refused(/rsaEncryption/),
  );
});

Deno.test("an RSA key with a composite factor is refused although its arithmetic is consistent", async () => {
  // p' = a·b of two 512-bit primes, q a 1024-bit prime: n = p'·q and d invert e mod
  // lcm(p'−1, q−1), so only the primality test can tell.
  const small = rsaNumbers(await generated("RSA-2048")); // only its primes are used
  for (let attempt = 0; attempt < 20; attempt++) {
    const k1024 = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 1024,
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: "SHA-256",
      },
      true,
      ["sign"],
    );
    const half = rsaNumbers(
      new Uint8Array(await crypto.subtle.exportKey("pkcs8", k1024.privateKey)),
    );
    const pc = (half[4] as bigint) * (half[5] as bigint);
    const q = small[4] as bigint;
    const n = pc * q;
    if (n.toString(2).length !== 2048) continue;
    const e = 65537n;
    const g = (a: bigint, b: bigint): bigint => (b === 0n ? a : g(b, a % b));
    const lambda = ((pc - 1n) / g(pc - 1n, q - 1n)) * (q - 1n);
    const d = modInverse(e, lambda);
    const qInv = modInverse(q, pc);
    if (d === undefined || qInv === undefined) continue;
    const numbers = [0n, n, e, d, pc, q, d % (pc - 1n), d % (q - 1n), qInv];
    await assert.rejects(checkImportMaterial("RSA-2048", rsaPkcs8(numbers)), refused(/not prime/));
    return;
  }
  assert.fail("no suitable composite factor in 20 attempts");
});

function ed25519Pkcs8(version: number, seed: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(version)),
    encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, Uint8Array.of(0x2b, 0x65, 0x70))),
    encodeDer(DER_TAG.octetString, encodeDer(DER_TAG.octetString, seed)),
    ...extra,
  );
}

Deno.test("Ed25519 keys with their public key are checked and stored without it", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const pub = ed25519.getPublicKey(seed);
  const publicField = encodeDer(0x81, encodeBitString(pub).subarray(2));
  const v2 = ed25519Pkcs8(1, seed, [publicField]);
  assert.deepEqual(await checkImportMaterial("Ed25519", v2), ed25519Pkcs8(0, seed));
  const wrong = ed25519.getPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  await assert.rejects(
    checkImportMaterial(
      "Ed25519",
      ed25519Pkcs8(1, seed, [encodeDer(0x81, Uint8Array.of(0, ...wrong))]),
    ),
    refused(/public key does not match/),
  );
  const attributes = encodeDer(0xa0, encodeDer(DER_TAG.sequence));
  await assert.rejects(
    checkImportMaterial("Ed25519", ed25519Pkcs8(0, seed, [attributes])),
    refused(/attributes/),
  );
  await assert.rejects(
    checkImportMaterial("Ed25519", ed25519Pkcs8(0, seed.subarray(0, 31))),
    refused(/RFC 8410/),
  );
});
