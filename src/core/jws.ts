/**
 * JOSE for stored keys: which JWS algorithms (RFC 7518, RFC 8037) a key algorithm can
 * sign, the sign options each needs, the compact JWS serialization of a JWT (RFC 7515
 * §7.1, RFC 7519), and the JWK of a key version as a JWKS publishes it (`kid` =
 * `<key id>.<version>`). Built on a null-prototype table, so a JWS algorithm name from a
 * request can never resolve to an inherited property.
 *
 * Post-quantum keys have no JWS algorithm of a published RFC and are refused; their
 * JWKs (draft `AKP`) still appear in a JWKS.
 */

import type { Algorithm, HashName, Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { toBase64Url, utf8 } from "./encoding.ts";
import type { SignOptions } from "./provider.ts";

/** Every JWS algorithm a stored key can sign with. */
export const JWS_ALGORITHMS = [
  "ES256",
  "ES384",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

/** A JWS `alg` value. */
export type JwsAlgorithm = typeof JWS_ALGORITHMS[number];

interface JwsSpec {
  readonly keys: readonly Algorithm[];
  readonly hash?: HashName;
  readonly padding?: "pkcs1" | "pss";
  /** ECDSA signatures in JWS are r‖s (RFC 7518 §3.4). */
  readonly raw?: boolean;
}

const RSA: readonly Algorithm[] = ["RSA-2048", "RSA-3072", "RSA-4096"];

const SPECS: Readonly<Record<JwsAlgorithm, JwsSpec>> = Object.freeze(
  Object.assign(Object.create(null), {
    ES256: { keys: ["EC-P256"], hash: "SHA-256", raw: true },
    ES384: { keys: ["EC-P384"], hash: "SHA-384", raw: true },
    RS256: { keys: RSA, hash: "SHA-256", padding: "pkcs1" },
    RS384: { keys: RSA, hash: "SHA-384", padding: "pkcs1" },
    RS512: { keys: RSA, hash: "SHA-512", padding: "pkcs1" },
    PS256: { keys: RSA, hash: "SHA-256", padding: "pss" },
    PS384: { keys: RSA, hash: "SHA-384", padding: "pss" },
    PS512: { keys: RSA, hash: "SHA-512", padding: "pss" },
    EdDSA: { keys: ["Ed25519"] },
  }),
);

/** The JWS algorithms a key algorithm can sign with, its default first (empty: none). */
export function jwsAlgorithmsFor(algorithm: Algorithm): JwsAlgorithm[] {
  return JWS_ALGORITHMS.filter((alg) => SPECS[alg].keys.includes(algorithm));
}

/**
 * Chooses the JWS algorithm for a key: `requested`, or the key's default.
 * @throws HsmError("invalid_request") when the key cannot sign with it (or with any)
 */
export function chooseJwsAlgorithm(algorithm: Algorithm, requested?: string): JwsAlgorithm {
  const allowed = jwsAlgorithmsFor(algorithm);
  const chosen = requested ?? allowed[0];
  if (chosen === undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot sign a JWT with a ${algorithm} key: it has no JWS algorithm`,
    );
  }
  if (!allowed.includes(chosen as JwsAlgorithm)) {
    throw new HsmError(
      "invalid_request",
      `Cannot sign a JWT with ${chosen} using a ${algorithm} key: allowed are ${
        allowed.join(", ")
      }`,
    );
  }
  return chosen as JwsAlgorithm;
}

/** The sign options that produce a JWS signature of `alg`. */
export function jwsSignOptions(alg: JwsAlgorithm): SignOptions {
  const spec = SPECS[alg];
  return {
    prehashed: false,
    ...(spec.hash === undefined ? {} : { hash: spec.hash }),
    ...(spec.padding === undefined ? {} : { padding: spec.padding }),
    ...(spec.raw === true ? { format: "raw" as const } : {}),
  };
}

/** The JWKS `kid` of a key version. */
export function versionKid(keyId: string, version: number): string {
  return `${keyId}.${version}`;
}

/** A JWT's signing input: BASE64URL(header) '.' BASE64URL(claims). */
export function jwtSigningInput(
  alg: JwsAlgorithm,
  kid: string,
  claims: Readonly<Record<string, unknown>>,
): string {
  const header = { alg, typ: "JWT", kid };
  return `${toBase64Url(utf8(JSON.stringify(header)))}.${
    toBase64Url(utf8(JSON.stringify(claims)))
  }`;
}

/** The compact serialization: signing input '.' BASE64URL(signature). */
export function compactJws(signingInput: string, signature: Uint8Array): string {
  return `${signingInput}.${toBase64Url(signature)}`;
}

/**
 * A version's public JWK as a JWKS lists it: `kid`; `use` `sig` for a key used only to
 * sign or verify, `enc` for one used only to encrypt, wrap or encapsulate (absent when
 * both); and `alg` when the key signs with exactly one JWS algorithm (RSA keys, which
 * sign RS* and PS*, carry none; post-quantum JWKs keep the `alg` of their draft).
 */
export function jwksEntry(
  algorithm: Algorithm,
  usage: readonly Usage[],
  jwk: Readonly<Record<string, unknown>>,
  kid: string,
): Record<string, unknown> {
  const signs = usage.some((u) => u === "sign" || u === "verify");
  const encrypts = usage.some((u) => u !== "sign" && u !== "verify");
  const algs = jwsAlgorithmsFor(algorithm);
  return {
    ...jwk,
    kid,
    ...(signs === encrypts ? {} : { use: signs ? "sig" : "enc" }),
    ...(algs.length === 1 && signs ? { alg: algs[0] } : {}),
  };
}
