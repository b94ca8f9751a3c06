/**
 * Power-up self-tests in the spirit of FIPS 140-3 (cryptographic algorithm self-tests and
 * an entropy health test): known-answer tests with fixed published vectors for every
 * primitive the core relies on, run through the same code paths the service uses
 * (providers, verifier builders, Web Crypto), plus ML-KEM/ML-DSA round trips with fresh
 * keys, the hybrid KEM, SLH-DSA and composite KATs of `self_test_pq.ts`, and the
 * SP 800-90B RNG health test. The service must refuse to start unless
 * `runSelfTests()` reports `ok: true`.
 *
 * Every vector is public (no secret of the deployment is involved), so failure details
 * may name values. The KATs only detect a broken implementation or binding; they are no
 * defence against a deliberately altered one.
 */

import { fromBase64Url, fromHex, utf8 } from "./encoding.ts";
import type { LoadedKey } from "./provider.ts";
import { aesGcmEncrypt } from "./providers/aes_gcm.ts";
import { ecdsaVerifierFromSpki } from "./providers/ecdsa.ts";
import { providerFor } from "./providers/index.ts";
import { loadMlDsaKey, mlDsaPublicKey } from "./providers/ml_dsa.ts";
import { loadMlKemKey, mlKemPublicKey } from "./providers/ml_kem.ts";
import { rsaVerifierFromSpki } from "./providers/rsa.ts";
import { type EntropySource, runRngHealthTest } from "./rng_health.ts";
import { PQ_SELF_TEST_NAMES, PQ_SELF_TESTS } from "./self_test_pq.ts";
import { timingSafeEqual, wipe } from "./zeroize.ts";

/** The self-tests, in the order they run (also the `name` of each result). */
export const SELF_TEST_NAMES = [
  "SHA-256",
  "HMAC-SHA-384",
  "AES-256-GCM",
  "ECDSA P-256 verify",
  "RSA PKCS#1 v1.5 SHA-256 verify",
  "ML-KEM-768",
  "ML-DSA-65",
  ...PQ_SELF_TEST_NAMES,
  "RNG health",
] as const;

/** One self-test's name. */
export type SelfTestName = typeof SELF_TEST_NAMES[number];

/** The outcome of one self-test. */
export interface SelfTestResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** The outcome of all self-tests; `ok` only when every one passed. */
export interface SelfTestReport {
  readonly ok: boolean;
  readonly results: readonly SelfTestResult[];
}

/** Fault injection, so tests can prove that a failing self-test makes the report fail. */
export interface SelfTestOptions {
  /**
   * Self-tests whose expected values get one bit flipped (each must then fail); for
   * "RNG health" a stuck entropy source is injected instead.
   */
  readonly corrupt?: readonly SelfTestName[];
  /** Entropy source for the RNG health test; default crypto.getRandomValues. */
  readonly rngSource?: EntropySource;
}

/** Returns the expected value of a vector (bit-flipped when the test is being corrupted). */
type Expect = (hex: string) => Uint8Array;
/** A self-test body: undefined when it passed, else what went wrong. */
type Check = (expect: Expect) => Promise<string | undefined>;

function bytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = fromHex(hex);
  if (out === undefined) throw new TypeError("Malformed embedded vector");
  return new Uint8Array(out);
}

function flipped(data: Uint8Array): Uint8Array {
  const out = data.slice();
  out[out.length - 1] = (out[out.length - 1] as number) ^ 0x01;
  return out;
}

function same(actual: Uint8Array, expected: Uint8Array, what: string): string | undefined {
  return timingSafeEqual(actual, expected) ? undefined : `${what} differs from the vector`;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

function method<K extends keyof LoadedKey>(key: LoadedKey, name: K): NonNullable<LoadedKey[K]> {
  const fn = key[name];
  if (fn === undefined) throw new TypeError(`Key lacks ${String(name)}`);
  return (fn as (...args: never[]) => unknown).bind(key) as NonNullable<LoadedKey[K]>;
}

// SHA-256("abc"): FIPS 180-2 Appendix B.1.
async function sha256Kat(expect: Expect): Promise<string | undefined> {
  const digest = await sha256(new Uint8Array(utf8("abc")));
  return same(
    digest,
    expect("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    "Digest",
  );
}

// HMAC-SHA-384, RFC 4231 §4.3 (test case 2: key "Jefe").
async function hmacSha384Kat(expect: Expect): Promise<string | undefined> {
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(utf8("Jefe")),
    { name: "HMAC", hash: "SHA-384" },
    false,
    ["sign", "verify"],
  );
  const tag = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new Uint8Array(utf8("what do ya want for nothing?"))),
  );
  return same(
    tag,
    expect(
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e" +
        "8e2240ca5e69e2c78b3239ecfab21649",
    ),
    "Tag",
  );
}

// AES-256-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16
// (256-bit key, 96-bit IV, AAD). Encryption with the fixed nonce through the provider's
// low-level function; decryption through the provider's LoadedKey; a flipped tag must fail.
async function aesGcmKat(expect: Expect): Promise<string | undefined> {
  const key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
  const nonce = bytes("cafebabefacedbaddecaf888");
  const aad = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const plaintext = bytes(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  );
  const sealed = expect(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
      "76fc6ece0f4e1768cddf8853bb2d551b",
  );
  const cryptoKey = await crypto.subtle.importKey("raw", bytes(key), "AES-GCM", false, [
    "encrypt",
  ]);
  const encrypted = await aesGcmEncrypt(cryptoKey, nonce, plaintext, aad);
  const mismatch = same(encrypted, sealed, "Ciphertext‖tag");
  if (mismatch !== undefined) return mismatch;
  const loaded = await providerFor("AES-256-GCM").load("AES-256-GCM", bytes(key));
  try {
    const decrypt = method(loaded, "decrypt");
    const wire = new Uint8Array([...nonce, ...sealed]);
    const opened = await decrypt(wire, aad);
    if (!timingSafeEqual(opened, plaintext)) return "Decryption does not give the plaintext";
    const forged = await decrypt(flipped(wire), aad).then(() => true, () => false);
    return forged ? "A forged tag was accepted" : undefined;
  } finally {
    loaded.dispose();
  }
}

/** Verifies `signature` (expected valid) and a one-bit-flipped copy (expected invalid). */
async function verifyPair(
  key: LoadedKey,
  message: Uint8Array,
  signature: Uint8Array,
  options: Parameters<NonNullable<LoadedKey["verify"]>>[2],
): Promise<string | undefined> {
  const verify = method(key, "verify");
  if (!(await verify(message, signature, options))) return "The valid signature was rejected";
  if (await verify(message, flipped(signature), options)) {
    return "A signature with a flipped bit was accepted";
  }
  return undefined;
}

// ECDSA P-256 with SHA-256: RFC 6979 §A.2.5, message "sample" (r‖s as IEEE P1363).
async function ecdsaKat(expect: Expect): Promise<string | undefined> {
  const spki = bytes(
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004" +
      "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" +
      "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
  );
  const signature = expect(
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716" +
      "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
  );
  const key = await ecdsaVerifierFromSpki("EC-P256", spki);
  return await verifyPair(key, utf8("sample"), signature, { hash: "SHA-256", format: "raw" });
}

// RSASSA-PKCS1-v1_5 with SHA-256, RSA-2048: Wycheproof rsa_signature_2048_sha256_test.json
// tcId 5 (message "Message", result valid).
async function rsaKat(expect: Expect): Promise<string | undefined> {
  const spki = bytes(
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100" +
      "a2b451a07d0aa5f96e455671513550514a8a5b462ebef717094fa1fee82224e6" +
      "37f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac8845097" +
      "b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e" +
      "254a2fe9765313a03eff8f17e1a029397a1fa26a8dce26f490ed81299615d981" +
      "4c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82de4d1ece6b" +
      "4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a19" +
      "69816f48698bcbba1b4d9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a4" +
      "5d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7820283f742b9d5" +
      "0203010001",
  );
  const signature = expect(
    "513a5abde16b5e0ecb8659d3ca0845800adf75cfc4437d42fa34e7aafbbe35fc" +
      "5984d3560cba938f9a622e932bb6162b7fbb6cd8c1cf8815f28c495995ac18cd" +
      "be8fabfdce29c17aa021df192ac02d080d7c5eda6bd4c99154178a9d5e1cf3ff" +
      "4177106315f4e6d74c991b601069acd60b55b3bb4dbf6316c35096a487d67561" +
      "81d3394944f1c742a2f4d608ce4f6abbfb72347ad7d342ae15dd6d1049fbd0ff" +
      "55f4d7c43ab805f81ff1fbe9256b5c78c2de6beb787f4b6d66d290a3d4c48573" +
      "68aea5f7ebaa1296020c8f9e3670441a08038bb810e853a654e44316a4e52428" +
      "745123ce2714020d00e55a9eb82f7fb41c73d852a82b003670246c6ca2045fc8",
  );
  const key = await rsaVerifierFromSpki("RSA-2048", spki);
  return await verifyPair(key, utf8("Message"), signature, { hash: "SHA-256", padding: "pkcs1" });
}

// ML-KEM-768: Wycheproof mlkem_768_test.json tcId 2 (seed → ek, c → K) with the
// encapsulation randomness m of mlkem_768_encaps_test.json tcId 14 (same ek, c and K);
// ek and c are checked through their SHA-256. Then a round trip with a fresh key.
async function mlKemKat(expect: Expect): Promise<string | undefined> {
  const seed = bytes(
    "7c9935a0b07694aa0c6d10e4db6b1add2fd81a25ccb148032dcd739936737f2d" +
      "8626ed79d451140800e03b59b956f8210e556067407d13dc90fa9e8b872bfb8f",
  );
  const m = bytes("147c03f7a5bebba406c8fae1874d7f13c80efe79a3a9a874cc09fe76f6997615");
  const ekHash = expect("86adbca81f4fee893e2fb58fb98aa2fe188f501fed268d7f4056f8c05c4e53c4");
  const ctHash = bytes("36829a2f35cbf4deb62c0a12a15c22dae9f8d2c252566fc24f88abe805cb575e");
  const secret = bytes("e7184a0975ee3470878d2d159ec83129c8aec253d4ee17b4810311d198cd0368");

  const key = loadMlKemKey("ML-KEM-768", seed);
  try {
    const ek = publicKeyBytes(key);
    const pkMismatch = same(await sha256(ek), ekHash, "Public key");
    if (pkMismatch !== undefined) return pkMismatch;
    const encapsulator = mlKemPublicKey("ML-KEM-768", ek, { random: (buf) => buf.set(m) });
    const { ciphertext, sharedSecret } = await method(encapsulator, "encapsulate")();
    const encMismatch = same(await sha256(new Uint8Array(ciphertext)), ctHash, "Ciphertext") ??
      same(sharedSecret, secret, "Encapsulated secret");
    if (encMismatch !== undefined) return encMismatch;
    const opened = await method(key, "decapsulate")(ciphertext);
    const decMismatch = same(opened, secret, "Decapsulated secret");
    if (decMismatch !== undefined) return decMismatch;
  } finally {
    key.dispose();
  }

  const provider = providerFor("ML-KEM-768");
  const fresh = await provider.load("ML-KEM-768", await provider.generate("ML-KEM-768"));
  try {
    const { ciphertext, sharedSecret } = await method(fresh, "encapsulate")();
    const opened = await method(fresh, "decapsulate")(ciphertext);
    const agree = timingSafeEqual(opened, sharedSecret);
    wipe(opened, sharedSecret);
    return agree ? undefined : "Round trip: decapsulation disagrees with encapsulation";
  } finally {
    fresh.dispose();
  }
}

/** The raw public key of a PQC key, from its JWK `pub` member. */
function publicKeyBytes(key: LoadedKey): Uint8Array<ArrayBuffer> {
  const raw = fromBase64Url(String(method(key, "publicKey")().jwk.pub));
  if (raw === undefined) throw new TypeError("Public key export is malformed");
  return new Uint8Array(raw);
}

// ML-DSA-65: Wycheproof mldsa_65_sign_seed_test.json tcId 1 (seed 0x2a×32, message
// "Hello world", empty context, deterministic signing); pk and signature are checked
// through their SHA-256. Then a hedged signature with a fresh key must verify.
async function mlDsaKat(expect: Expect): Promise<string | undefined> {
  const seed = bytes("2a".repeat(32));
  const message = utf8("Hello world");
  const pkHash = bytes("b7acce2ddb11f8cc1aa46e2bafac6eacfa2b732ef192bd636ad8d3a56d649c66");
  const sigHash = expect("39fbbb0d97a52c79844213b325af823a7f16a174e00a5b3daeb3e6e6d1c89681");

  const key = loadMlDsaKey("ML-DSA-65", seed, { random: (buf) => buf.fill(0) });
  try {
    const pk = publicKeyBytes(key);
    const pkMismatch = same(await sha256(pk), pkHash, "Public key");
    if (pkMismatch !== undefined) return pkMismatch;
    const signature = await method(key, "sign")(message);
    const sigMismatch = same(await sha256(new Uint8Array(signature)), sigHash, "Signature");
    if (sigMismatch !== undefined) return sigMismatch;
    const pair = await verifyPair(mlDsaPublicKey("ML-DSA-65", pk), message, signature, {});
    if (pair !== undefined) return pair;
  } finally {
    key.dispose();
  }

  const provider = providerFor("ML-DSA-65");
  const fresh = await provider.load("ML-DSA-65", await provider.generate("ML-DSA-65"));
  try {
    const signature = await method(fresh, "sign")(message);
    const pair = await verifyPair(fresh, message, signature, {});
    return pair === undefined ? undefined : `Round trip: ${pair}`;
  } finally {
    fresh.dispose();
  }
}

/**
 * Runs every self-test in order and reports each; never throws (a test that throws
 * fails with the error's message as its detail).
 */
export async function runSelfTests(options: SelfTestOptions = {}): Promise<SelfTestReport> {
  const corrupt = new Set<string>(options.corrupt ?? []);
  const checks: Record<SelfTestName, Check> = {
    "SHA-256": sha256Kat,
    "HMAC-SHA-384": hmacSha384Kat,
    "AES-256-GCM": aesGcmKat,
    "ECDSA P-256 verify": ecdsaKat,
    "RSA PKCS#1 v1.5 SHA-256 verify": rsaKat,
    "ML-KEM-768": mlKemKat,
    "ML-DSA-65": mlDsaKat,
    ...PQ_SELF_TESTS,
    "RNG health": () => {
      // Corrupting this test swaps in a stuck source, which must fail the RCT.
      const stuck: EntropySource = (buf) => buf.fill(0);
      const result = runRngHealthTest(corrupt.has("RNG health") ? stuck : options.rngSource);
      return Promise.resolve(
        result.ok ? undefined : `${result.test ?? "source"}: ${result.detail}`,
      );
    },
  };
  const results: SelfTestResult[] = [];
  for (const name of SELF_TEST_NAMES) {
    const expect: Expect = (hex) => corrupt.has(name) ? flipped(bytes(hex)) : bytes(hex);
    let detail: string | undefined;
    try {
      detail = await checks[name](expect);
    } catch (err) {
      detail = `Threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    }
    results.push(detail === undefined ? { name, ok: true } : { name, ok: false, detail });
  }
  return { ok: results.every((r) => r.ok), results };
}
