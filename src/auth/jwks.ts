/**
 * The JWT keyset: a JWKS file (`{"keys":[...]}`) of `oct`, `RSA` and `EC` P-256 keys,
 * validated strictly and imported into a kid → { alg, key } map. The signing algorithm
 * is bound to the key type (oct → HS256, RSA → RS256, EC P-256 → ES256) and never taken
 * from a token, which rules out algorithm-confusion attacks (an RSA public key used as
 * an HMAC secret, `alg: none`). Verification keys are public-only: private members of
 * RSA/EC keys are stripped before import; HMAC secrets are imported non-extractable and
 * the raw bytes wiped (JSON strings from the file cannot be wiped and live until GC).
 * EC points are checked to lie on P-256 here, because Web Crypto in Deno does not.
 *
 * The file is re-read when it changes: on lookup, at most once per check interval, a
 * cheap stat compares mtime, size and inode. An emptied keyset (`{"keys": []}`) is a
 * valid keyset that trusts no one: once it is loaded every token is refused (also at
 * start-up). A reload that fails (malformed JSON, an invalid key, an unreadable or
 * deleted file) keeps the previous good keyset, loudly: the error is recorded for
 * health, counted, and reported to `onReloadError` (the server logs it and exports a
 * metric). Deleting the file therefore does not revoke keys; emptying it does.
 */

import { importJWK, type JWK } from "jose";
import { p256 } from "@noble/curves/nist.js";
import { HsmError } from "../domain/errors.ts";
import { concatBytes, fromBase64Url } from "../core/encoding.ts";
import { wipe } from "../core/zeroize.ts";

/** The JWS algorithms FerroHSM accepts, one per key type. */
export type JwsAlg = "HS256" | "RS256" | "ES256";

/** A verification (or signing) key with the algorithm bound to it. */
export interface BoundKey {
  readonly alg: JwsAlg;
  readonly key: CryptoKey | Uint8Array;
}

/** Anything that resolves a `kid` to its bound key (the keyring, or a test double). */
export interface KeyLookup {
  lookup(kid: string): Promise<BoundKey | undefined>;
}

/** A JWKS document as parsed from JSON. */
export interface Jwks {
  readonly keys: readonly Record<string, unknown>[];
}

/** What a key is being loaded for; decides key_ops and private-material checks. */
export type KeyPurpose = "verify" | "sign";

/** Options for JwksKeyring. */
export interface JwksKeyringOptions {
  /** Current time in epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Minimum time between two stat checks of the file; default 1000 ms. */
  readonly checkIntervalMs?: number;
  /** Called with the message of each failed reload (the last good keyset stays in use). */
  readonly onReloadError?: (message: string) => void;
}

/** Keyring state for health reporting (never any key material). */
export interface KeyringStatus {
  /** The file path, or `(inline)` for a keyring built from a parsed JWKS. */
  readonly source: string;
  readonly kids: readonly string[];
  /** Epoch milliseconds of the last successful load. */
  readonly loadedAt: number;
  /** Successful reloads after the initial load. */
  readonly reloads: number;
  /** Failed reloads since the start. */
  readonly reloadFailures: number;
  /** True while the file on disk is not what is loaded (the last reload failed). */
  readonly stale: boolean;
  /** The last failed reload since the last successful one. */
  readonly lastError?: { readonly message: string; readonly at: number };
}

/** Largest keyset file read, in bytes. */
export const MAX_KEYSET_BYTES = 1024 * 1024;
/** Most keys in one keyset. */
export const MAX_KEYSET_KEYS = 100;

const BOUND_ALG = { oct: "HS256", RSA: "RS256", EC: "ES256" } as const;
const RSA_PRIVATE = ["d", "p", "q", "dp", "dq", "qi"] as const;

/** A key that passed validation, not yet imported. */
interface CheckedJwk {
  readonly kid: string;
  readonly kty: keyof typeof BOUND_ALG;
  readonly alg: JwsAlg;
  readonly hasPrivate: boolean;
  /** The members to import, with private members only when `purpose` is sign. */
  readonly jwk: JWK;
}

/** A reloadable kid → bound-key map loaded from a JWKS file. */
export class JwksKeyring implements KeyLookup {
  readonly #path: string | undefined;
  readonly #clock: () => number;
  readonly #intervalMs: number;
  readonly #onReloadError: ((message: string) => void) | undefined;
  #keys: ReadonlyMap<string, BoundKey> = new Map();
  #fingerprint = "";
  #lastCheck = 0;
  #loadedAt = 0;
  #reloads = 0;
  #reloadFailures = 0;
  #lastError: { message: string; at: number } | undefined;
  #inflight: Promise<void> | undefined;

  private constructor(path: string | undefined, options: JwksKeyringOptions) {
    const interval = options.checkIntervalMs ?? 1000;
    if (!(interval >= 0)) throw new RangeError("checkIntervalMs must be a non-negative number");
    this.#path = path;
    this.#clock = options.clock ?? Date.now;
    this.#intervalMs = interval;
    this.#onReloadError = options.onReloadError;
  }

  /**
   * Loads the JWKS file at `path` and watches it for changes.
   * @throws HsmError("invalid_request") naming the file and the first invalid key
   */
  static async open(path: string, options: JwksKeyringOptions = {}): Promise<JwksKeyring> {
    const keyring = new JwksKeyring(path, options);
    const fingerprint = statFingerprint(path);
    keyring.#install(await readKeyset(path), fingerprint);
    return keyring;
  }

  /**
   * Builds a fixed keyring from an already parsed JWKS (never reloaded).
   * @throws HsmError("invalid_request") naming the first invalid key
   */
  static async fromJwks(jwks: unknown, options: JwksKeyringOptions = {}): Promise<JwksKeyring> {
    const keyring = new JwksKeyring(undefined, options);
    keyring.#install(await importVerificationKeys(jwks, "(inline)"), "");
    return keyring;
  }

  /** The bound key for `kid`, re-reading the file first if it changed. */
  async lookup(kid: string): Promise<BoundKey | undefined> {
    await this.#maybeReload(false);
    return this.#keys.get(kid);
  }

  /** Checks the file now, ignoring the interval; resolves to the resulting status. */
  async reload(): Promise<KeyringStatus> {
    await this.#maybeReload(true);
    return this.status();
  }

  /** The key ids currently loaded. */
  kids(): string[] {
    return [...this.#keys.keys()];
  }

  /** Health view: source, kids, load time and the last reload error. */
  status(): KeyringStatus {
    const base = {
      source: this.#path ?? "(inline)",
      kids: this.kids(),
      loadedAt: this.#loadedAt,
      reloads: this.#reloads,
      reloadFailures: this.#reloadFailures,
      stale: this.#lastError !== undefined,
    };
    return this.#lastError === undefined ? base : { ...base, lastError: { ...this.#lastError } };
  }

  #install(keys: ReadonlyMap<string, BoundKey>, fingerprint: string): void {
    this.#keys = keys;
    this.#fingerprint = fingerprint;
    this.#loadedAt = this.#clock();
    this.#lastCheck = this.#loadedAt;
    this.#lastError = undefined;
  }

  #maybeReload(force: boolean): Promise<void> | undefined {
    const path = this.#path;
    if (path === undefined) return undefined;
    if (this.#inflight !== undefined) return this.#inflight;
    const now = this.#clock();
    const elapsed = now - this.#lastCheck;
    if (!force && elapsed >= 0 && elapsed < this.#intervalMs) return undefined;
    this.#lastCheck = now;
    let fingerprint: string;
    try {
      fingerprint = statFingerprint(path);
    } catch (err) {
      this.#reloadFailed(errorText(err), now);
      return undefined;
    }
    if (fingerprint === this.#fingerprint) return undefined;
    this.#inflight = readKeyset(path).then(
      (keys) => {
        this.#install(keys, fingerprint);
        this.#reloads++;
      },
      (err: unknown) => {
        // The fingerprint is left unchanged so a half-written file is retried next interval.
        this.#reloadFailed(errorText(err), this.#clock());
      },
    ).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  #reloadFailed(message: string, at: number): void {
    this.#lastError = { message, at };
    this.#reloadFailures++;
    try {
      this.#onReloadError?.(message);
    } catch {
      // An observer must never affect which keys are trusted.
    }
  }
}

/**
 * Validates a JWKS and imports the signing key `kid` (or the first key holding
 * private material): oct, or RSA/EC with `d`. Used to mint tokens.
 * @throws HsmError("invalid_request") when the keyset is invalid or holds no such key
 */
export async function importSigningKey(
  jwks: unknown,
  kid?: string,
): Promise<{ kid: string; alg: JwsAlg; key: CryptoKey }> {
  const checked = checkJwks(jwks, "sign", "(signing)");
  const chosen = kid === undefined
    ? checked.find((k) => k.hasPrivate)
    : checked.find((k) => k.kid === kid);
  if (chosen === undefined || !chosen.hasPrivate) {
    const which = kid === undefined ? "any key" : `kid "${kid}"`;
    throw new HsmError(
      "invalid_request",
      `JWT keyset has no private signing material for ${which}`,
    );
  }
  return { kid: chosen.kid, alg: chosen.alg, key: await importChecked(chosen, "sign") };
}

/** The algorithm bound to a JWK key type, or undefined for unsupported types. */
export function boundAlgorithm(kty: unknown): JwsAlg | undefined {
  return kty === "oct" || kty === "RSA" || kty === "EC" ? BOUND_ALG[kty] : undefined;
}

async function readKeyset(path: string): Promise<Map<string, BoundKey>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new HsmError("invalid_request", `Cannot read JWT keyset ${path}: ${ioText(err)}`);
  }
  try {
    if (bytes.length > MAX_KEYSET_BYTES) {
      throw new HsmError("invalid_request", `Invalid JWT keyset ${path}: file too large`);
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      // Never echo the parser's message: it quotes file content, i.e. secrets.
      throw new HsmError("invalid_request", `Invalid JWT keyset ${path}: not valid JSON`);
    }
    return await importVerificationKeys(json, path);
  } finally {
    wipe(bytes);
  }
}

async function importVerificationKeys(
  jwks: unknown,
  source: string,
): Promise<Map<string, BoundKey>> {
  const keys = new Map<string, BoundKey>();
  for (const checked of checkJwks(jwks, "verify", source)) {
    keys.set(checked.kid, { alg: checked.alg, key: await importChecked(checked, "verify") });
  }
  return keys;
}

async function importChecked(checked: CheckedJwk, purpose: KeyPurpose): Promise<CryptoKey> {
  try {
    if (checked.kty === "oct") {
      const secret = fromBase64Url(checked.jwk.k ?? "") ?? new Uint8Array();
      try {
        return await crypto.subtle.importKey(
          "raw",
          secret as Uint8Array<ArrayBuffer>,
          { name: "HMAC", hash: "SHA-256" },
          false,
          [purpose],
        );
      } finally {
        wipe(secret);
      }
    }
    const key = await importJWK(checked.jwk, checked.alg, { extractable: false });
    if (key instanceof Uint8Array) throw new TypeError("unexpected symmetric import");
    return key;
  } catch {
    throw new HsmError(
      "invalid_request",
      `Invalid JWT keyset: key "${checked.kid}" could not be imported`,
    );
  }
}

/** Validates every key of a JWKS; the error names the source, key index and kid. */
function checkJwks(jwks: unknown, purpose: KeyPurpose, source: string): CheckedJwk[] {
  const fail = (detail: string): never => {
    throw new HsmError("invalid_request", `Invalid JWT keyset ${source}: ${detail}`);
  };
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) return fail('expected {"keys": [...]}');
  const list: unknown[] = jwks.keys;
  // An empty keyset is valid for verification: it trusts no one.
  if (list.length === 0 && purpose === "sign") return fail("no keys");
  if (list.length > MAX_KEYSET_KEYS) return fail(`more than ${MAX_KEYSET_KEYS} keys`);
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const checked = checkJwk(raw, purpose, (detail) => fail(`key #${index + 1}: ${detail}`));
    if (seen.has(checked.kid)) fail(`key #${index + 1}: duplicate kid "${checked.kid}"`);
    seen.add(checked.kid);
    return checked;
  });
}

function checkJwk(raw: unknown, purpose: KeyPurpose, fail: (detail: string) => never): CheckedJwk {
  if (!isObject(raw)) return fail("not a JSON object");
  const { kid, kty, alg, use } = raw;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 256) {
    return fail("kid must be a non-empty string of at most 256 characters");
  }
  const bad = (detail: string): never => fail(`kid "${kid}": ${detail}`);
  const bound = boundAlgorithm(kty);
  if (bound === undefined || (kty !== "oct" && kty !== "RSA" && kty !== "EC")) {
    return bad(`unsupported kty ${JSON.stringify(kty) ?? "(missing)"}`);
  }
  if (alg !== undefined && alg !== bound) {
    return bad(`alg ${JSON.stringify(alg)} does not match kty ${kty} (${bound})`);
  }
  if (use !== undefined && use !== "sig") return bad(`use must be "sig"`);
  if (raw.key_ops !== undefined) {
    const ops = raw.key_ops;
    if (!Array.isArray(ops) || !ops.every((op) => typeof op === "string")) {
      return bad("key_ops must be an array of strings");
    }
    if (!ops.includes(purpose)) return bad(`key_ops does not allow "${purpose}"`);
  }
  const member = (name: string, bytes?: number): string => {
    const value = raw[name];
    const decoded = typeof value === "string" ? fromBase64Url(value) : undefined;
    if (typeof value !== "string" || decoded === undefined || decoded.length === 0) {
      return bad(`${name} must be canonical unpadded base64url`);
    }
    const length = decoded.length;
    wipe(decoded);
    if (bytes !== undefined && length !== bytes) return bad(`${name} must be ${bytes} bytes`);
    return value;
  };
  const hasPrivate = kty === "oct" || raw.d !== undefined;
  const withPrivate = purpose === "sign" && hasPrivate;
  if (kty === "oct") {
    const k = member("k");
    // base64url length → byte length without decoding the secret again.
    if (Math.floor((k.length * 3) / 4) < 32) return bad("oct key must be at least 32 bytes");
    return { kid, kty, alg: bound, hasPrivate, jwk: { kty, k } };
  }
  if (kty === "EC") {
    if (raw.crv !== "P-256") return bad("EC keys must use crv P-256");
    const jwk: JWK = { kty, crv: "P-256", x: member("x", 32), y: member("y", 32) };
    if (!onP256(jwk.x as string, jwk.y as string)) return bad("EC point is not on curve P-256");
    if (withPrivate) jwk.d = member("d", 32);
    return { kid, kty, alg: bound, hasPrivate, jwk };
  }
  const n = fromBase64Url(member("n")) ?? new Uint8Array();
  const bits = bitLength(n);
  if (bits < 2048) return bad("RSA modulus must be at least 2048 bits");
  if (bits > 16384) return bad("RSA modulus must be at most 16384 bits");
  const e = fromBase64Url(member("e")) ?? new Uint8Array();
  if (e.length > 4 || ((e[e.length - 1] ?? 0) & 1) === 0 || bitLength(e) < 2) {
    return bad("RSA exponent must be odd, at least 3 and at most 32 bits");
  }
  const jwk: JWK = { kty, n: raw.n as string, e: raw.e as string };
  if (withPrivate) {
    if (raw.oth !== undefined) return bad("multi-prime RSA keys are not supported");
    for (const name of RSA_PRIVATE) jwk[name] = member(name);
  }
  return { kid, kty, alg: bound, hasPrivate, jwk };
}

/** Web Crypto in Deno imports off-curve JWK points without complaint, so check here. */
function onP256(x: string, y: string): boolean {
  const point = concatBytes(
    new Uint8Array([4]),
    fromBase64Url(x) ?? new Uint8Array(),
    fromBase64Url(y) ?? new Uint8Array(),
  );
  try {
    p256.Point.fromBytes(point).assertValidity();
    return true;
  } catch {
    return false;
  }
}

function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const first = bytes[i];
  if (first === undefined) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(first));
}

function statFingerprint(path: string): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    throw new HsmError("invalid_request", `Cannot read JWT keyset ${path}: ${ioText(err)}`);
  }
  return `${info.mtime?.getTime() ?? 0}:${info.size}:${info.ino ?? 0}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function ioText(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "file not found";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  return "unreadable";
}

function errorText(err: unknown): string {
  return err instanceof HsmError ? err.message : "JWT keyset reload failed";
}
