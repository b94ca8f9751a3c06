/**
 * Micro benchmarks of the core and the per-request primitives, next to raw Web Crypto:
 * provider operations, sealing, the audit entry MAC, and JWT verification (fresh and
 * cached).  Run: `deno task bench`.
 */

import { computeMac, deriveAuditMacKey, GENESIS_HASH, sealEntry } from "../src/audit/chain.ts";
import { JwksKeyring } from "../src/auth/jwks.ts";
import { JwtVerifier } from "../src/auth/jwt.ts";
import { generateDevKeyset, mintToken } from "../src/auth/token_mint.ts";
import type { Algorithm } from "../src/domain/algorithms.ts";
import { RootKeys } from "../src/core/master_key.ts";
import type { LoadedKey } from "../src/core/provider.ts";
import { providerFor } from "../src/core/providers/index.ts";
import { Sealer } from "../src/core/sealing.ts";

const kib = crypto.getRandomValues(new Uint8Array(1024));
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function load(algorithm: Algorithm): Promise<LoadedKey> {
  const p = providerFor(algorithm);
  return await p.load(algorithm, await p.generate(algorithm));
}

const keys = {
  aes: await load("AES-256-GCM"),
  hmac: await load("HMAC-SHA256"),
  p256: await load("EC-P256"),
  ed: await load("Ed25519"),
  rsa: await load("RSA-2048"),
  kem: await load("ML-KEM-768"),
  dsa: await load("ML-DSA-65"),
};
const p256Sig = (await keys.p256.sign?.(kib)) as Uint8Array;
const kemCt = (await keys.kem.encapsulate?.())?.ciphertext as Uint8Array;

const rawAes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
  "encrypt",
]);
const rawEc = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
  "sign",
]);

Deno.bench(
  "raw Web Crypto AES-256-GCM encrypt 1 KiB",
  { group: "aes", baseline: true },
  async () => {
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: random(12) }, rawAes, kib);
  },
);
Deno.bench("provider AES-256-GCM encrypt 1 KiB", { group: "aes" }, async () => {
  await keys.aes.encrypt?.(kib);
});
Deno.bench("provider HMAC-SHA256 1 KiB", async () => {
  await keys.hmac.mac?.(kib);
});
Deno.bench("raw Web Crypto ECDSA P-256 sign", { group: "p256", baseline: true }, async () => {
  await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, rawEc.privateKey, kib);
});
Deno.bench("provider EC-P256 sign (DER)", { group: "p256" }, async () => {
  await keys.p256.sign?.(kib);
});
Deno.bench("provider EC-P256 verify", { group: "p256" }, async () => {
  await keys.p256.verify?.(kib, p256Sig);
});
Deno.bench("provider Ed25519 sign", async () => {
  await keys.ed.sign?.(kib);
});
Deno.bench("provider RSA-2048 sign PKCS#1", async () => {
  await keys.rsa.sign?.(kib);
});
Deno.bench("provider ML-KEM-768 encapsulate", async () => {
  await keys.kem.encapsulate?.();
});
Deno.bench("provider ML-KEM-768 decapsulate", async () => {
  await keys.kem.decapsulate?.(kemCt);
});
Deno.bench("provider ML-DSA-65 sign", async () => {
  await keys.dsa.sign?.(kib);
});

const sealer = new Sealer(await RootKeys.derive(random(32), random(32)));
const meta = {
  keyId: "bench",
  version: 1,
  algorithm: "EC-P256" as const,
  usage: ["sign" as const],
  createdAt: new Date().toISOString(),
};
const material = random(138);
const sealed = await sealer.seal(meta, material);
Deno.bench("seal a key version", { group: "sealing" }, async () => {
  await sealer.seal(meta, material);
});
Deno.bench("unseal a key version (MAC check + decrypt)", { group: "sealing" }, async () => {
  await sealer.unseal(sealed, { keyId: "bench", version: 1 });
});

const auditKey = await deriveAuditMacKey(random(32));
const fields = {
  seq: 1,
  ts: new Date().toISOString(),
  actor: "bench",
  action: "key.sign",
  key_id: "k",
  result: "ok",
  payload_hash: GENESIS_HASH,
};
Deno.bench("audit entry MAC (HMAC-SHA-384, noble, sync)", { group: "audit" }, () => {
  computeMac(auditKey, fields, GENESIS_HASH);
});
Deno.bench("audit entry MAC + hash from one encoding (sealEntry)", { group: "audit" }, () => {
  sealEntry(auditKey, fields, GENESIS_HASH);
});
// What each entry cost before issue 12: one Web Crypto HMAC-SHA-384 round trip over its
// encoding (plus a second encoding for the hash), under a non-extractable CryptoKey.
const webAuditKey = await crypto.subtle.importKey(
  "raw",
  random(48),
  { name: "HMAC", hash: "SHA-384" },
  false,
  ["sign"],
);
const auditInput = random(240);
Deno.bench("audit entry MAC, Web Crypto round trip (before)", { group: "audit" }, async () => {
  await crypto.subtle.sign("HMAC", webAuditKey, auditInput);
});

const { jwks } = generateDevKeyset();
const token = await mintToken(jwks, { sub: "bench", roles: ["Service"] });
const keyring = await JwksKeyring.fromJwks(jwks);
Deno.bench("JWT verify HS256 (fresh verifier each time)", { group: "jwt" }, async () => {
  await new JwtVerifier(keyring).verify(token);
});
const cached = new JwtVerifier(keyring);
await cached.verify(token);
Deno.bench("JWT verify HS256 (cached by digest)", { group: "jwt" }, async () => {
  await cached.verify(token);
});
