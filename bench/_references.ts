/**
 * In-process reference rates for bench/http.ts: each raw primitive (Web Crypto or
 * noble, without our provider layer), one operation at a time on one thread, over a
 * 1 KiB message where there is one — the figures the issue quotes (AES-GCM ≈ 63 k,
 * HMAC ≈ 65 k, Ed25519 ≈ 26 k, ECDSA P-256 ≈ 1.6 k, RSA-2048 ≈ 0.5 k, ML-DSA-65 ≈ 0.1 k
 * ops/s) — plus the per-request steps the REST path adds (JWT verify, cached and not;
 * the audit entry MAC). Measured in the same run as the HTTP figures so every row has
 * a reference from the same (noisy) machine state.
 */

import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { computeMac, deriveAuditMacKey, GENESIS_HASH } from "../src/audit/chain.ts";
import { JwksKeyring } from "../src/auth/jwks.ts";
import { JwtVerifier } from "../src/auth/jwt.ts";
import { generateDevKeyset, mintToken } from "../src/auth/token_mint.ts";
import { rate } from "./_harness.ts";

/** The reference rates, in operations per second. */
export const REFERENCE_NAMES = {
  aes: "AES-256-GCM encrypt 1 KiB (Web Crypto)",
  hmac: "HMAC-SHA256 1 KiB (Web Crypto)",
  ecdsa: "ECDSA P-256 sign 1 KiB (Web Crypto)",
  ed25519: "Ed25519 sign 1 KiB (Web Crypto)",
  rsa: "RSA-2048 PKCS#1 v1.5 sign 1 KiB (Web Crypto)",
  mlkem: "ML-KEM-768 encapsulate (noble)",
  mldsa: "ML-DSA-65 sign 1 KiB (noble)",
  ecKeygen: "EC-P256 generate + export PKCS#8 (Web Crypto)",
  jwtCached: "JWT verify HS256, cached by digest (JwtVerifier)",
  jwtFresh: "JWT verify HS256, not cached (JwtVerifier)",
  auditMac: "audit entry MAC, HMAC-SHA-384 (src/audit/chain.ts)",
} as const;

/** A reference id. */
export type ReferenceId = keyof typeof REFERENCE_NAMES;

/** Measures every reference for `seconds` each; returns ops/s by id. */
export async function measureReferences(seconds: number): Promise<Record<ReferenceId, number>> {
  const kib = crypto.getRandomValues(new Uint8Array(1024));
  const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
  ]);
  const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ]);
  const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
    "sign",
  ])) as CryptoKeyPair;
  const rsa = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    false,
    ["sign"],
  );
  const kem = ml_kem768.keygen();
  const dsa = ml_dsa65.keygen();
  const { jwks } = generateDevKeyset();
  const keyring = await JwksKeyring.fromJwks(jwks);
  const token = await mintToken(jwks, { sub: "bench", roles: ["Service"] });
  const cached = new JwtVerifier(keyring);
  await cached.verify(token);
  const auditKey = await deriveAuditMacKey(crypto.getRandomValues(new Uint8Array(32)));
  const fields = {
    seq: 1,
    ts: new Date().toISOString(),
    actor: "bench",
    action: "key.sign",
    key_id: "k",
    result: "ok",
    payload_hash: GENESIS_HASH,
  };

  const ops: Record<ReferenceId, () => Promise<unknown> | unknown> = {
    aes: () =>
      crypto.subtle.encrypt(
        { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)) },
        aes,
        kib,
      ),
    hmac: () => crypto.subtle.sign("HMAC", hmac, kib),
    ecdsa: () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ec.privateKey, kib),
    ed25519: () => crypto.subtle.sign({ name: "Ed25519" }, ed.privateKey, kib),
    rsa: () => crypto.subtle.sign("RSASSA-PKCS1-v1_5", rsa.privateKey, kib),
    mlkem: () => ml_kem768.encapsulate(kem.publicKey),
    mldsa: () => ml_dsa65.sign(kib, dsa.secretKey),
    ecKeygen: async () => {
      const pair = await crypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" },
        true,
        ["sign"],
      );
      await crypto.subtle.exportKey("pkcs8", pair.privateKey);
    },
    jwtCached: () => cached.verify(token),
    jwtFresh: () => new JwtVerifier(keyring).verify(token),
    auditMac: () => computeMac(auditKey, fields, GENESIS_HASH),
  };
  const out = {} as Record<ReferenceId, number>;
  for (const id of Object.keys(ops) as ReferenceId[]) {
    out[id] = await rate(ops[id], seconds, 1);
  }
  return out;
}
