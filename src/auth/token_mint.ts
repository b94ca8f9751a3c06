/**
 * Local token minting for the CLI and `--dev` mode: signs a short-lived JWT with a
 * key from a JWKS that holds private material (an `oct` secret, or RSA/EC with `d`),
 * using the algorithm bound to the key type. Lifetimes are capped at 300 s, matching
 * what the verifier accepts. Whoever can read the keyset file can mint any role, so
 * the file must be readable by the operator and the server only (mode 0600).
 */

import { SignJWT } from "jose";
import { HsmError } from "../domain/errors.ts";
import { toBase64Url, toHex } from "../core/encoding.ts";
import { wipe } from "../core/zeroize.ts";
import { importSigningKey, type Jwks } from "./jwks.ts";
import { MAX_TOKEN_LIFETIME_S } from "./jwt.ts";
import { isRole, type Role } from "../access/rbac.ts";

/** What to put in a minted token. */
export interface MintOptions {
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Lifetime in whole seconds, 1..300; default 300. */
  readonly ttl?: number;
  /** Signing key id; default the first key with private material. */
  readonly kid?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** RFC 8705 certificate thumbprint to bind the token to (`cnf["x5t#S256"]`). */
  readonly cnfX5tS256?: string;
  /** Current time in epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
}

/**
 * Mints a compact JWS token (`typ: JWT`) with sub, roles, iat, exp, jti (and iss/aud).
 * @throws HsmError("invalid_request") for a bad ttl, sub or role, or a keyset without a signing key
 */
export async function mintToken(keyset: string | Jwks, options: MintOptions): Promise<string> {
  const ttl = options.ttl ?? MAX_TOKEN_LIFETIME_S;
  if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_LIFETIME_S) {
    throw new HsmError(
      "invalid_request",
      `Cannot mint token: ttl must be 1 to ${MAX_TOKEN_LIFETIME_S} seconds`,
    );
  }
  if (typeof options.sub !== "string" || options.sub.length === 0 || options.sub.length > 256) {
    throw new HsmError("invalid_request", "Cannot mint token: sub must be 1 to 256 characters");
  }
  if (options.roles.length === 0) {
    throw new HsmError("invalid_request", "Cannot mint token: at least one role is required");
  }
  for (const role of options.roles) {
    if (!isRole(role)) {
      throw new HsmError("invalid_request", `Cannot mint token: unknown role "${String(role)}"`);
    }
  }
  const jwks = typeof keyset === "string" ? await readJwks(keyset) : keyset;
  const signing = await importSigningKey(jwks, options.kid);
  const iat = Math.floor((options.clock ?? Date.now)() / 1000);
  const claims: Record<string, unknown> = { roles: [...new Set(options.roles)] };
  if (options.cnfX5tS256 !== undefined) claims.cnf = { "x5t#S256": options.cnfX5tS256 };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: "JWT" })
    .setSubject(options.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(toHex(crypto.getRandomValues(new Uint8Array(16))));
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return await jwt.sign(signing.key);
}

/** A fresh HS256 development keyset: one `oct` key of 32 random bytes and its kid. */
export function generateDevKeyset(): { jwks: Jwks; kid: string } {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const kid = `dev-${toHex(crypto.getRandomValues(new Uint8Array(8)))}`;
  const jwks: Jwks = {
    keys: [{ kty: "oct", kid, alg: "HS256", use: "sig", k: toBase64Url(secret) }],
  };
  wipe(secret);
  return { jwks, kid };
}

async function readJwks(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new HsmError("invalid_request", `Cannot read JWT keyset ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HsmError("invalid_request", `Invalid JWT keyset ${path}: not valid JSON`);
  }
}
