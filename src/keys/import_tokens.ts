/**
 * BYOK import tokens: each token names one fresh RSA-3072 wrapping key, valid 24 hours
 * and usable once. The wrapping key's private half is sealed under the root keys as soon
 * as it is generated (like any key material) and unsealed only to unwrap the one import
 * it serves; a token is consumed by the first import attempt that unwraps with it,
 * successful or not, so a wrapping key can never serve as a decryption oracle.
 *
 * Tokens live in this process only: a restart invalidates outstanding tokens (clients
 * ask for new parameters). The token itself is not kept: entries are found by the
 * token's SHA-256 (`tokenId`, also what the audit records). RSA-3072 generation takes
 * 0.5–4 s, so after the first request one spare key is generated in the background.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toBase64Url, toHex, utf8 } from "../core/encoding.ts";
import {
  generateWrappingKey,
  unwrapImportedKey,
  type WrappingKeyPair,
} from "../core/import_wrapping.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { Algorithm } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import type { SealedVersion } from "../domain/records.ts";

/** How long a token stays valid. */
export const IMPORT_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Most tokens outstanding at once. */
export const MAX_OUTSTANDING_TOKENS = 1000;

/** Options of ImportTokens. */
export interface ImportTokensOptions {
  readonly sealer: Sealer;
  /** Generates wrapping keys (default: a fresh RSA-3072 pair from Web Crypto). */
  readonly generate?: () => Promise<WrappingKeyPair>;
  readonly clock?: () => Date;
  /** Keep one spare wrapping key ready after the first request (default true). */
  readonly prefetch?: boolean;
}

/** A token as issued to a client. */
export interface IssuedToken {
  /** The opaque token (base64url of 32 random bytes). */
  readonly token: string;
  /** Hex SHA-256 prefix of the token, as the audit log records it. */
  readonly tokenId: string;
  readonly algorithm: Algorithm;
  /** SubjectPublicKeyInfo DER of the wrapping key. */
  readonly spki: Uint8Array;
  readonly expiresAt: string;
}

/** A consumed token: what its import may unwrap. */
export interface ConsumedToken {
  readonly tokenId: string;
  readonly algorithm: Algorithm;
  readonly sealed: SealedVersion;
}

interface Prepared {
  readonly token: string;
  readonly tokenId: string;
  readonly spki: Uint8Array;
  readonly sealed: SealedVersion;
}

interface Entry {
  readonly sealed: SealedVersion;
  readonly algorithm: Algorithm;
  readonly expiresAt: number;
}

/** The hex SHA-256 prefix naming a token. */
export function tokenIdOf(token: string): string {
  return toHex(sha256(utf8(token))).slice(0, 32);
}

/** Outstanding import tokens of this process. */
export class ImportTokens {
  readonly #sealer: Sealer;
  readonly #generate: () => Promise<WrappingKeyPair>;
  readonly #clock: () => Date;
  readonly #prefetch: boolean;
  readonly #entries = new Map<string, Entry>();
  #spare: Promise<Prepared | undefined> | undefined;

  constructor(options: ImportTokensOptions) {
    this.#sealer = options.sealer;
    this.#generate = options.generate ?? generateWrappingKey;
    this.#clock = options.clock ?? (() => new Date());
    this.#prefetch = options.prefetch ?? true;
  }

  /** Tokens outstanding (expired ones included until pruned). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Issues a token with a fresh wrapping key for an import of `algorithm`.
   * @throws HsmError("conflict") when MAX_OUTSTANDING_TOKENS are outstanding
   */
  async issue(algorithm: Algorithm): Promise<IssuedToken> {
    this.#prune();
    if (this.#entries.size >= MAX_OUTSTANDING_TOKENS) {
      throw new HsmError(
        "conflict",
        `Cannot issue import parameters: ${MAX_OUTSTANDING_TOKENS} tokens are outstanding`,
      );
    }
    const spare = this.#spare;
    this.#spare = undefined;
    const prepared = (spare === undefined ? undefined : await spare) ?? await this.#prepare();
    if (this.#prefetch) this.#spare = this.#prepare().catch(() => undefined);
    const expiresAt = this.#clock().getTime() + IMPORT_TOKEN_LIFETIME_MS;
    this.#entries.set(prepared.tokenId, { sealed: prepared.sealed, algorithm, expiresAt });
    return {
      token: prepared.token,
      tokenId: prepared.tokenId,
      algorithm,
      spki: prepared.spki,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** Consumes `token`: its entry, or undefined when unknown, already used or expired. */
  take(token: string): ConsumedToken | undefined {
    const tokenId = tokenIdOf(token);
    const entry = this.#entries.get(tokenId);
    if (entry === undefined) return undefined;
    this.#entries.delete(tokenId);
    if (entry.expiresAt <= this.#clock().getTime()) return undefined;
    return { tokenId, algorithm: entry.algorithm, sealed: entry.sealed };
  }

  /**
   * Unwraps `wrapped` with a consumed token's wrapping key; the caller wipes the result.
   * @throws HsmError("invalid_request") when it does not unwrap
   */
  async unwrap(consumed: ConsumedToken, wrapped: Uint8Array): Promise<Uint8Array> {
    const { sealed } = consumed;
    const material = await this.#sealer.unseal(sealed, {
      keyId: sealed.keyId,
      version: sealed.version,
    });
    try {
      return await unwrapImportedKey(material, wrapped);
    } finally {
      wipe(material);
    }
  }

  /** Waits for a spare key being generated, then forgets every token. */
  async close(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    await spare;
    this.#entries.clear();
  }

  async #prepare(): Promise<Prepared> {
    const pair = await this.#generate();
    try {
      const token = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
      const tokenId = tokenIdOf(token);
      const sealed = await this.#sealer.seal({
        keyId: `import-${tokenId}`,
        version: 1,
        algorithm: "RSA-3072",
        usage: ["unwrap"],
        createdAt: this.#clock().toISOString(),
      }, pair.material);
      return { token, tokenId, spki: pair.spki, sealed };
    } finally {
      wipe(pair.material);
    }
  }

  #prune(): void {
    const now = this.#clock().getTime();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(id);
    }
  }
}
