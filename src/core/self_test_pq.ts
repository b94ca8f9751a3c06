/**
 * Power-up known-answer tests for the hybrid KEM, SLH-DSA and composite families, run by
 * `runSelfTests` (`self_test.ts`) through the same providers the service uses. Each is
 * cheap (tens of milliseconds): SLH-DSA signing takes seconds, so its KAT is key
 * generation only; the composite KAT derives the published public key from the published
 * private key and makes a signature round trip (both of its components are randomized).
 * Values are the first vectors of the published files the tests' fixtures cite
 * (tests/core/providers/fixtures/SOURCES.md); large values are checked through SHA-256.
 */

import { fromHex, utf8 } from "./encoding.ts";
import type { LoadedKey } from "./provider.ts";
import { loadCompositeKey } from "./providers/composite_sig.ts";
import { hybridKemPublicKey, loadHybridKemKey } from "./providers/hybrid_kem.ts";
import { loadSlhDsaKey } from "./providers/slh_dsa.ts";
import { timingSafeEqual } from "./zeroize.ts";

/** The post-quantum self-tests, in the order they run. */
export const PQ_SELF_TEST_NAMES = [
  "X-Wing",
  "ML-KEM-768-P256",
  "SLH-DSA-SHAKE-128f keyGen",
  "ML-DSA-65-EC-P256",
] as const;

/** One post-quantum self-test's name. */
export type PqSelfTestName = typeof PQ_SELF_TEST_NAMES[number];

/** Returns a vector's expected value (bit-flipped when the test is being corrupted). */
export type Expect = (hex: string) => Uint8Array;

function bytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = fromHex(hex);
  if (out === undefined) throw new TypeError("Malformed embedded vector");
  return out;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data)));
}

function same(actual: Uint8Array, expected: Uint8Array, what: string): string | undefined {
  return timingSafeEqual(actual, expected) ? undefined : `${what} differs from the vector`;
}

function method<K extends keyof LoadedKey>(key: LoadedKey, name: K): NonNullable<LoadedKey[K]> {
  const fn = key[name];
  if (fn === undefined) throw new TypeError(`Key lacks ${String(name)}`);
  return (fn as (...args: never[]) => unknown).bind(key) as NonNullable<LoadedKey[K]>;
}

interface KemVector {
  readonly seed: string;
  readonly random: string;
  readonly pkHash: string;
  readonly ctHash: string;
  readonly secret: string;
}

/** Seed → public key, derandomized encapsulation, then decapsulation, for one hybrid. */
async function hybridKat(
  algorithm: "ML-KEM-768-X25519" | "ML-KEM-768-P256",
  v: KemVector,
  expect: Expect,
): Promise<string | undefined> {
  const key = loadHybridKemKey(algorithm, bytes(v.seed));
  try {
    const raw = method(key, "publicKey")().raw ?? new Uint8Array();
    const pkMismatch = same(await sha256(raw), expect(v.pkHash), "Public key");
    if (pkMismatch !== undefined) return pkMismatch;
    const encapsulator = hybridKemPublicKey(algorithm, raw, {
      random: (buf) => buf.set(bytes(v.random)),
    });
    const { ciphertext, sharedSecret } = await method(encapsulator, "encapsulate")();
    const encMismatch = same(await sha256(ciphertext), bytes(v.ctHash), "Ciphertext") ??
      same(sharedSecret, bytes(v.secret), "Encapsulated secret");
    if (encMismatch !== undefined) return encMismatch;
    return same(
      await method(key, "decapsulate")(ciphertext),
      bytes(v.secret),
      "Decapsulated secret",
    );
  } finally {
    key.dispose();
  }
}

// X-Wing: draft-connolly-cfrg-xwing-kem-10 spec/test-vectors.json, first vector.
function xWingKat(expect: Expect): Promise<string | undefined> {
  return hybridKat("ML-KEM-768-X25519", {
    seed: "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26",
    random: "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e2" +
      "35b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2",
    pkHash: "2e816deebcd76c5c80d0cd2d174478871658e8e2ff42bc9d4a6e486372e856bb",
    ctHash: "17cd532d657e44c897ca6583e548a5424fc70bf54f99515a4d2bcf99e3469f33",
    secret: "d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384",
  }, expect);
}

// MLKEM768-P256: draft-irtf-cfrg-concrete-hybrid-kems-04 Appendix B.1, first vector.
function mlKem768P256Kat(expect: Expect): Promise<string | undefined> {
  return hybridKat("ML-KEM-768-P256", {
    seed: "00".repeat(32),
    random: "64".repeat(160),
    pkHash: "2627712d7aa5b010d292dfaef982ff9dd66ccdadb35804780b9d891c7fe29526",
    ctHash: "5e695b18578462c0d8ab9bbefbe733040379dc08598f17fc2a7627fdeb9d2c42",
    secret: "9bd018e869bb01b63fb8f5da374a73d347ea14cb2bc570b13d0908e2288ec456",
  }, expect);
}

// SLH-DSA-SHAKE-128f: ACVP SLH-DSA-keyGen-FIPS205 (v1.1.0.43) tcId 31.
function slhDsaKeyGenKat(expect: Expect): Promise<string | undefined> {
  const seeds = "3956ab391b4d22fc907af0740326d061" + "ab0eb206436f2b86ebe086d77739b3e4" +
    "56505c229f4e7fa6b201714c7dcc9da3";
  const key = loadSlhDsaKey("SLH-DSA-SHAKE-128f", bytes(seeds));
  try {
    const raw = method(key, "publicKey")().raw ?? new Uint8Array();
    return Promise.resolve(
      same(
        raw,
        expect("56505c229f4e7fa6b201714c7dcc9da366578f1f24c3fe371c97c14ce0e79cdc"),
        "Public key",
      ),
    );
  } finally {
    key.dispose();
  }
}

// ML-DSA-65-EC-P256: draft-ietf-lamps-pq-composite-sigs-19 src/testvectors.json (sk → pk),
// then a signature round trip that must fail once a bit is flipped.
async function compositeKat(expect: Expect): Promise<string | undefined> {
  const sk = "6ec75c5aeb0b9b214dba608aafde387bc8be031a465dd760c7d7c7ebd628e3da" +
    "30310201010420984397bcc439c060ef5109cce70b96dd735a33d0ee53a17ab997a9cce46acaab" +
    "a00a06082a8648ce3d030107";
  const key = await loadCompositeKey("ML-DSA-65-EC-P256", bytes(sk));
  try {
    const raw = method(key, "publicKey")().raw ?? new Uint8Array();
    const pkMismatch = same(
      await sha256(raw),
      expect("cdf8c2eeaa43702cb10174dd4ce83242c1747eac0a0c67227706ea13ff11d5d6"),
      "Public key",
    );
    if (pkMismatch !== undefined) return pkMismatch;
    const message = utf8("FerroHSM power-up self-test");
    const signature = await method(key, "sign")(message);
    const verify = method(key, "verify");
    if (!(await verify(message, signature))) return "Round trip: the signature was rejected";
    const flipped = signature.slice();
    flipped[0] = (flipped[0] as number) ^ 0x01;
    return (await verify(message, flipped))
      ? "A signature with a flipped bit was accepted"
      : undefined;
  } finally {
    key.dispose();
  }
}

/** The post-quantum self-test bodies: undefined when one passed, else what went wrong. */
export const PQ_SELF_TESTS: Readonly<
  Record<PqSelfTestName, (expect: Expect) => Promise<string | undefined>>
> = Object.freeze({
  "X-Wing": xWingKat,
  "ML-KEM-768-P256": mlKem768P256Kat,
  "SLH-DSA-SHAKE-128f keyGen": slhDsaKeyGenKat,
  "ML-DSA-65-EC-P256": compositeKat,
});
