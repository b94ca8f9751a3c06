/**
 * Bearer-token verification. A token passes a strict compact-form check before jose
 * sees it (three canonical base64url segments, a JSON-object header whose `alg` equals
 * the algorithm bound to its `kid`, no `crit`/`jku`/`jwk`/`x5u`/`x5c`/`b64`, at most
 * 8 KiB), then `jose.jwtVerify` with exactly that one algorithm, then our own claim
 * rules (`sub`, `iat`, `exp`, lifetime ≤ 300 s, `roles`, optional `cnf`).
 *
 * Every failure is `JwtFailure`: code `unauthenticated` and one identical message, so
 * callers cannot learn which part of a credential was wrong; the precise `reason` is a
 * property for metrics only and must never be sent to the client. Verified tokens are
 * cached by SHA-256 digest until they expire; a cache hit is refused when the token has
 * expired since or when its key was removed or replaced by a keyset reload.
 */

import { errors as joseErrors, type JWTPayload, jwtVerify } from "jose";
import { HsmError } from "../domain/errors.ts";
import { fromBase64Url, fromUtf8, toHex, utf8 } from "../core/encoding.ts";
import { LruCache, type LruCacheStats } from "../util/lru_cache.ts";
import type { BoundKey, JwsAlg, KeyLookup } from "./jwks.ts";
import { isRole, type Role } from "../access/rbac.ts";
import { sha256 } from "@noble/hashes/sha2.js";

/** The authenticated caller, as derived from a verified token. */
export interface Principal {
  readonly sub: string;
  readonly roles: readonly Role[];
  readonly exp: number;
  readonly iat: number;
  /** Lowercase hex SHA-256 of the token, for caching and audit correlation. */
  readonly tokenId: string;
  /** RFC 8705 `cnf["x5t#S256"]`: the client certificate thumbprint the token is bound to. */
  readonly cnfX5tS256?: string;
}

/** Why a token was refused (for metrics; never shown to clients). */
export type JwtFailureReason =
  | "malformed"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "lifetime_too_long"
  | "missing_claims"
  | "bad_roles"
  | "alg_mismatch";

/** The one message every authentication failure carries. */
export const UNAUTHENTICATED_MESSAGE = "Invalid or expired credentials";
/** Longest token accepted, in characters. */
export const MAX_TOKEN_LENGTH = 8 * 1024;
/** Longest accepted lifetime (`exp - iat`) in seconds. */
export const MAX_TOKEN_LIFETIME_S = 300;

/** An authentication failure; `reason` is for metrics, the message is always the same. */
export class JwtFailure extends HsmError {
  /** The precise cause, for metrics and server-side logs only. */
  readonly reason: JwtFailureReason;

  constructor(reason: JwtFailureReason) {
    super("unauthenticated", UNAUTHENTICATED_MESSAGE);
    this.name = "JwtFailure";
    this.reason = reason;
  }
}

/** Options for JwtVerifier. */
export interface JwtVerifierOptions {
  /** Required `iss` value; unchecked when omitted. */
  readonly issuer?: string;
  /** Required `aud` value (string or member of an array); unchecked when omitted. */
  readonly audience?: string;
  /** Clock skew tolerance in seconds for exp, nbf and iat; default 30. */
  readonly clockToleranceS?: number;
  /** Current time in epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Capacity of the verified-token cache; default 10 000. */
  readonly cacheMaxEntries?: number;
}

/** A compact JWS that passed the structural checks, with its bound key. */
export interface CheckedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly kid: string;
  readonly alg: JwsAlg;
  readonly key: CryptoKey | Uint8Array;
}

interface CacheEntry {
  readonly principal: Principal;
  readonly kid: string;
  readonly key: CryptoKey | Uint8Array;
}

const FORBIDDEN_HEADERS = ["crit", "jku", "jwk", "x5u", "x5c", "b64", "zip", "enc"];
// Control characters are refused in `sub`: it is written to the audit log verbatim.
// deno-lint-ignore no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** Verifies bearer tokens against a keyring and caches the results. */
export class JwtVerifier {
  readonly #keys: KeyLookup;
  readonly #issuer: string | undefined;
  readonly #audience: string | undefined;
  readonly #toleranceS: number;
  readonly #clock: () => number;
  readonly #cache: LruCache<string, CacheEntry>;

  /** @throws RangeError for a negative tolerance or a bad cache size */
  constructor(keys: KeyLookup, options: JwtVerifierOptions = {}) {
    const tolerance = options.clockToleranceS ?? 30;
    if (!(tolerance >= 0 && tolerance <= MAX_TOKEN_LIFETIME_S)) {
      throw new RangeError("clockToleranceS must be between 0 and 300");
    }
    this.#keys = keys;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#toleranceS = tolerance;
    this.#clock = options.clock ?? Date.now;
    this.#cache = new LruCache({
      maxEntries: options.cacheMaxEntries ?? 10_000,
      clock: this.#clock,
    });
  }

  /** Counters of the verified-token cache. */
  get cacheStats(): LruCacheStats {
    return this.#cache.stats;
  }

  /** Entries in the verified-token cache. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /**
   * Verifies a compact JWT and returns its principal.
   * @throws JwtFailure (HsmError "unauthenticated") for any invalid, expired or unknown token
   */
  async verify(token: string): Promise<Principal> {
    if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new JwtFailure("malformed");
    }
    // Synchronous SHA-256: cheaper than a Web Crypto round trip for a short token, and
    // this runs on every request.
    const tokenId = toHex(sha256(utf8(token)));
    const cached = this.#cache.get(tokenId);
    if (cached !== undefined) {
      if (cached.principal.exp <= this.#nowS() - this.#toleranceS) {
        this.#cache.delete(tokenId);
        throw new JwtFailure("expired");
      }
      const current = await this.#keys.lookup(cached.kid);
      if (current !== undefined && current.key === cached.key) return cached.principal;
      this.#cache.delete(tokenId); // the key changed: verify afresh (and most likely fail)
    }
    const checked = await checkCompactJws(token, this.#keys);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, checked.key, {
        algorithms: [checked.alg],
        clockTolerance: this.#toleranceS,
        currentDate: new Date(this.#clock()),
        requiredClaims: ["sub", "exp", "iat"],
        ...(this.#issuer === undefined ? {} : { issuer: this.#issuer }),
        ...(this.#audience === undefined ? {} : { audience: this.#audience }),
      }));
    } catch (err) {
      throw new JwtFailure(joseReason(err));
    }
    const principal = this.#principal(payload, tokenId);
    const ttlMs = (principal.exp + this.#toleranceS) * 1000 - this.#clock();
    if (ttlMs > 0) {
      this.#cache.set(tokenId, { principal, kid: checked.kid, key: checked.key }, ttlMs);
    }
    return principal;
  }

  /** Drops every cached verification (e.g. after a policy change). */
  clearCache(): void {
    this.#cache.clear();
  }

  #nowS(): number {
    return Math.floor(this.#clock() / 1000);
  }

  #principal(payload: JWTPayload, tokenId: string): Principal {
    const { sub, exp, iat, roles, cnf } = payload;
    if (typeof sub !== "string" || typeof exp !== "number" || typeof iat !== "number") {
      throw new JwtFailure("missing_claims");
    }
    // A subject starting with "[" is reserved: audit entries of approved actions name
    // their approvers as a JSON array in the actor field, which no token may imitate.
    if (sub.length === 0 || sub.length > 256 || CONTROL_RE.test(sub) || sub.startsWith("[")) {
      throw new JwtFailure("malformed");
    }
    if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat) || exp <= iat) {
      throw new JwtFailure("malformed");
    }
    if (iat > this.#nowS() + this.#toleranceS) throw new JwtFailure("not_yet_valid");
    if (exp - iat > MAX_TOKEN_LIFETIME_S) throw new JwtFailure("lifetime_too_long");
    if (roles === undefined) throw new JwtFailure("missing_claims");
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
      throw new JwtFailure("bad_roles");
    }
    const thumbprint = cnfThumbprint(cnf);
    const principal: Principal = {
      sub,
      roles: Object.freeze([...new Set<Role>(roles)]),
      exp,
      iat,
      tokenId,
      ...(thumbprint === undefined ? {} : { cnfX5tS256: thumbprint }),
    };
    return Object.freeze(principal);
  }
}

/**
 * The strict pre-jose check of a compact JWS: three canonical base64url segments, a
 * JSON-object header with a known `kid` whose bound alg equals `alg`, `typ` (if any)
 * `JWT`, no forbidden header members, a non-empty signature.
 * @throws JwtFailure ("malformed", "unknown_kid" or "alg_mismatch")
 */
export async function checkCompactJws(token: string, keys: KeyLookup): Promise<CheckedJws> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) {
    throw new JwtFailure("malformed");
  }
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtFailure("malformed");
  const [headerB64, payloadB64, signatureB64] = parts as [string, string, string];
  const headerBytes = fromBase64Url(headerB64);
  const payloadBytes = fromBase64Url(payloadB64);
  const signature = fromBase64Url(signatureB64);
  if (
    headerBytes === undefined || payloadBytes === undefined || signature === undefined ||
    headerBytes.length === 0 || signature.length === 0
  ) {
    throw new JwtFailure("malformed");
  }
  let header: unknown;
  try {
    header = JSON.parse(fromUtf8(headerBytes));
  } catch {
    throw new JwtFailure("malformed");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new JwtFailure("malformed");
  }
  const fields = header as Record<string, unknown>;
  if (FORBIDDEN_HEADERS.some((name) => Object.hasOwn(fields, name))) {
    throw new JwtFailure("malformed");
  }
  const { alg, kid, typ } = fields;
  if (typ !== undefined && (typeof typ !== "string" || typ.toLowerCase() !== "jwt")) {
    throw new JwtFailure("malformed");
  }
  if (typeof alg !== "string") throw new JwtFailure("malformed");
  if (typeof kid !== "string" || kid.length === 0) throw new JwtFailure("unknown_kid");
  const bound: BoundKey | undefined = await keys.lookup(kid);
  if (bound === undefined) throw new JwtFailure("unknown_kid");
  if (alg !== bound.alg) throw new JwtFailure("alg_mismatch");
  return { header: Object.freeze({ ...fields }), kid, alg: bound.alg, key: bound.key };
}

function cnfThumbprint(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== "object" || cnf === null || Array.isArray(cnf)) {
    throw new JwtFailure("malformed");
  }
  const value = (cnf as Record<string, unknown>)["x5t#S256"];
  if (value === undefined) return undefined;
  const digest = typeof value === "string" ? fromBase64Url(value) : undefined;
  if (digest === undefined || digest.length !== 32) throw new JwtFailure("malformed");
  return value as string;
}

function joseReason(err: unknown): JwtFailureReason {
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof joseErrors.JWTExpired) return "expired";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "alg_mismatch";
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return "not_yet_valid";
    if (err.claim === "iss") return "wrong_issuer";
    if (err.claim === "aud") return "wrong_audience";
    return err.reason === "missing" ? "missing_claims" : "malformed";
  }
  return "malformed";
}
