/**
 * Signed configuration: a detached signature (`FILE.sig`) over the exact bytes of a
 * configuration file, made with an operator's configuration key (Ed25519 or ECDSA P-256
 * with SHA-256, "ES256") by `ferrohsm config sign FILE --key F`, and checked at start-up
 * and on reload when `--config-public-key` is set.
 *
 * The `.sig` file is JSON: `{"format":"ferrohsm-config-signature-v1","alg","sha256",
 * "signature"}`. The signature (base64url; ES256 as raw r‖s) is over the UTF-8 of
 * `"ferrohsm config signature v1\n" + alg + "\n" + sha256`, where `sha256` is the hex
 * digest of the file's bytes; the verifier recomputes the digest from the file itself.
 *
 * Keys: private keys as PKCS#8 PEM or private JWK; public keys as SPKI PEM or public JWK.
 * Caveat: a signature proves who approved a file's bytes, not when: an older signed
 * version of the same file still verifies (rotate the configuration key to retire one).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { fromBase64, fromBase64Url, toBase64Url, toHex, utf8 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";

/** The signature algorithms a configuration key may use. */
export type ConfigSignatureAlg = "Ed25519" | "ES256";

const FORMAT = "ferrohsm-config-signature-v1";
const DOMAIN = "ferrohsm config signature v1\n";

/** A configuration key, imported. */
export interface ConfigKey {
  readonly alg: ConfigSignatureAlg;
  readonly key: CryptoKey;
}

function params(alg: ConfigSignatureAlg) {
  return alg === "Ed25519" ? { import: { name: "Ed25519" }, sign: { name: "Ed25519" } } : {
    import: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  };
}

function invalid(message: string, cause?: unknown): HsmError {
  return new HsmError("invalid_request", message, cause === undefined ? undefined : { cause });
}

/**
 * Imports a configuration key from PEM (PKCS#8 private, SPKI public) or JWK text.
 * @throws HsmError("invalid_request") when it is neither an Ed25519 nor a P-256 key
 */
export async function importConfigKey(
  text: string,
  use: "sign" | "verify",
): Promise<ConfigKey> {
  const trimmed = text.trim();
  const candidates: ConfigSignatureAlg[] = ["Ed25519", "ES256"];
  if (trimmed.startsWith("{")) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(trimmed);
    } catch (err) {
      throw invalid("Cannot read the configuration key: not JSON", err);
    }
    const alg: ConfigSignatureAlg | undefined = jwk.kty === "OKP" && jwk.crv === "Ed25519"
      ? "Ed25519"
      : jwk.kty === "EC" && jwk.crv === "P-256"
      ? "ES256"
      : undefined;
    if (alg === undefined) throw invalid("Cannot read the configuration key: not Ed25519 or P-256");
    // Only the key's own members: `key_ops`, `use` or `ext` of an exported key would
    // otherwise clash with the use asked for here; a public import drops `d`.
    const clean: JsonWebKey = {
      kty: jwk.kty as string,
      crv: jwk.crv as string,
      ...(jwk.x === undefined ? {} : { x: jwk.x }),
      ...(jwk.y === undefined ? {} : { y: jwk.y }),
      ...(use === "sign" && jwk.d !== undefined ? { d: jwk.d } : {}),
    };
    try {
      const key = await crypto.subtle.importKey("jwk", clean, params(alg).import, false, [use]);
      return { alg, key };
    } catch (err) {
      throw invalid("Cannot read the configuration key: the JWK is malformed", err);
    }
  }
  const label = use === "sign" ? "PRIVATE KEY" : "PUBLIC KEY";
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(trimmed);
  const der = m === null ? undefined : fromBase64((m[1] as string).replace(/\s+/g, ""));
  if (der === undefined) {
    throw invalid(`Cannot read the configuration key: expected a PEM ${label} or a JWK`);
  }
  try {
    for (const alg of candidates) {
      try {
        const format = use === "sign" ? "pkcs8" : "spki";
        const key = await crypto.subtle.importKey(format, der, params(alg).import, false, [use]);
        return { alg, key };
      } catch {
        // try the next algorithm
      }
    }
  } finally {
    der.fill(0);
  }
  throw invalid("Cannot read the configuration key: not an Ed25519 or P-256 key");
}

function signingInput(alg: ConfigSignatureAlg, digest: string): Uint8Array<ArrayBuffer> {
  return utf8(`${DOMAIN}${alg}\n${digest}`);
}

/** The detached signature text (`FILE.sig`) of `bytes`. */
export async function signConfig(bytes: Uint8Array, key: ConfigKey): Promise<string> {
  const digest = toHex(sha256(bytes));
  const signature = new Uint8Array(
    await crypto.subtle.sign(params(key.alg).sign, key.key, signingInput(key.alg, digest)),
  );
  return `${
    JSON.stringify({
      format: FORMAT,
      alg: key.alg,
      sha256: digest,
      signature: toBase64Url(signature),
    })
  }\n`;
}

/**
 * Checks a detached signature of `bytes` (the file as read) against the public key.
 * @throws HsmError("invalid_request") when it is missing, malformed, for other bytes or
 *   by another key; the message names `source`
 */
export async function verifyConfigSignature(
  bytes: Uint8Array,
  signatureText: string | undefined,
  key: ConfigKey,
  source: string,
): Promise<void> {
  if (signatureText === undefined) {
    throw invalid(`Configuration ${source} is not signed: ${source}.sig is missing`);
  }
  let sig: Record<string, unknown>;
  try {
    sig = JSON.parse(signatureText);
  } catch {
    throw invalid(`Configuration signature ${source}.sig is not JSON`);
  }
  const signature = typeof sig.signature === "string" ? fromBase64Url(sig.signature) : undefined;
  if (sig.format !== FORMAT || typeof sig.sha256 !== "string" || signature === undefined) {
    throw invalid(`Configuration signature ${source}.sig is malformed`);
  }
  if (sig.alg !== key.alg) {
    throw invalid(
      `Configuration ${source} is signed with ${String(sig.alg)}, the key is ${key.alg}`,
    );
  }
  const digest = toHex(sha256(bytes));
  const holds = sig.sha256 === digest && await crypto.subtle.verify(
    params(key.alg).sign,
    key.key,
    signature,
    signingInput(key.alg, digest),
  );
  if (!holds) throw invalid(`Configuration ${source} does not match its signature`);
}
