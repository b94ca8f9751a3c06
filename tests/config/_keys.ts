/** Configuration signing keys for the tests. */

import { toPem } from "../../src/core/pem.ts";

/** A fresh key pair as PEM texts (PKCS#8 private, SPKI public). */
export async function pemPair(alg: "Ed25519" | "ES256"): Promise<{ priv: string; pub: string }> {
  const params = alg === "Ed25519" ? { name: "Ed25519" } : { name: "ECDSA", namedCurve: "P-256" };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return { priv: toPem("PRIVATE KEY", pkcs8), pub: toPem("PUBLIC KEY", spki) };
}
