/**
 * SLH-DSA (FIPS 205) provider for SLH-DSA-SHA2-128s, SLH-DSA-SHAKE-128f and
 * SLH-DSA-SHA2-256s on `@noble/post-quantum`.
 *
 * Sealed material is the key-generation input SK.seed‖SK.prf‖PK.seed (3n bytes: 48 for
 * the 128-bit sets, 96 for 256s); `load` runs slh_keygen_internal (which computes PK.root,
 * the costly part), wipes the seed and keeps the 4n-byte secret key in a private buffer
 * that `dispose()` wipes. `sign` is pure SLH-DSA.Sign (FIPS 205 Algorithm 22) with the
 * call's context string and hedged randomness (n fresh bytes of opt_rand per signature);
 * HashSLH-DSA is not offered, so `prehash` and `prehashed` are refused. `verify` returns
 * false, never throws, for malformed signatures. Public keys are published as SPKI with
 * the NIST CSOR OIDs (draft-ietf-lamps-x509-slhdsa), as `AKP` JWKs and raw (PK.seed‖PK.root).
 *
 * Security caveats: noble is pure JavaScript (no constant-time guarantee). Signing takes
 * from half a second (128f) to several seconds (128s, 256s) of synchronous work: the
 * provider asks for sign and verify to be offloaded.
 */

import {
  slh_dsa_sha2_128s,
  slh_dsa_sha2_256s,
  slh_dsa_shake_128f,
} from "@noble/post-quantum/slh-dsa.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import type { LoadedKey, Provider, PublicKeyExport, SignOptions } from "../provider.ts";
import { wipe } from "../zeroize.ts";
import { disposedKey, seedProvider, signContext, unreadableMaterial } from "./_common.ts";
import { akpExport, oidContents, osRandom, type RandomFill } from "./_pq_export.ts";

/** The SLH-DSA parameter sets of the API. */
export type SlhDsaAlgorithm = "SLH-DSA-SHA2-128s" | "SLH-DSA-SHAKE-128f" | "SLH-DSA-SHA2-256s";

/** Options for keys built outside the provider (vector tests and self-tests). */
export interface SlhDsaKeyOptions {
  /**
   * Source of the n-byte opt_rand of each signature; default crypto.getRandomValues. Use
   * `deterministic` for FIPS 205's deterministic variant (opt_rand = PK.seed).
   */
  readonly random?: RandomFill;
  /** True for deterministic signing (known-answer tests only). */
  readonly deterministic?: boolean;
}

type Slh = typeof slh_dsa_sha2_128s;

interface Params {
  readonly slh: Slh;
  readonly oid: Uint8Array;
  readonly n: number;
  readonly publicKey: number;
  readonly signature: number;
}

function params(slh: Slh, arc: number): Params {
  return Object.freeze({
    slh,
    oid: oidContents(`2.16.840.1.101.3.4.3.${arc}`),
    n: slh.lengths.signRand ?? 0,
    publicKey: slh.lengths.publicKey ?? 0,
    signature: slh.lengths.signature ?? 0,
  });
}

const PARAMS: Record<SlhDsaAlgorithm, Params> = Object.assign(Object.create(null), {
  "SLH-DSA-SHA2-128s": params(slh_dsa_sha2_128s, 20),
  "SLH-DSA-SHAKE-128f": params(slh_dsa_shake_128f, 27),
  "SLH-DSA-SHA2-256s": params(slh_dsa_sha2_256s, 24),
});
Object.freeze(PARAMS);

function paramsFor(algorithm: Algorithm): Params {
  if (!Object.hasOwn(PARAMS, algorithm)) {
    throw new RangeError(`Unsupported algorithm for the SLH-DSA provider: ${algorithm}`);
  }
  return PARAMS[algorithm as SlhDsaAlgorithm];
}

/** The context of a pure SLH-DSA call; HashSLH-DSA and digests are refused. */
function pureContext(options: SignOptions | undefined): Uint8Array {
  if (options?.prehash !== undefined || options?.prehashed === true) {
    throw new HsmError(
      "invalid_request",
      "SLH-DSA signs whole messages: prehash and digests are not accepted",
    );
  }
  return signContext(options);
}

function verifyWith(
  p: Params,
  pk: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignOptions | undefined,
): Promise<boolean> {
  let context: Uint8Array;
  try {
    context = pureContext(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signature.length !== p.signature) return Promise.resolve(false);
  try {
    return Promise.resolve(p.slh.verify(signature, data, pk, { context }));
  } catch {
    return Promise.resolve(false);
  }
}

/** A verify-only key (built from a public key). */
class SlhDsaPublicKey implements LoadedKey {
  readonly algorithm: SlhDsaAlgorithm;
  readonly #params: Params;
  readonly #pk: Uint8Array;

  constructor(algorithm: SlhDsaAlgorithm, pk: Uint8Array) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#pk = pk;
  }

  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    return verifyWith(this.#params, this.#pk, data, signature, options);
  }

  publicKey(): PublicKeyExport {
    return akpExport(this.algorithm, this.#params.oid, this.#pk);
  }

  dispose(): void {}
}

/** A full SLH-DSA key holding its 4n-byte secret key privately. */
class SlhDsaPrivateKey implements LoadedKey {
  readonly algorithm: SlhDsaAlgorithm;
  readonly #params: Params;
  readonly #pk: Uint8Array;
  readonly #options: SlhDsaKeyOptions;
  #sk: Uint8Array | undefined;

  constructor(
    algorithm: SlhDsaAlgorithm,
    keys: { secretKey: Uint8Array; publicKey: Uint8Array },
    options: SlhDsaKeyOptions,
  ) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#sk = keys.secretKey;
    this.#pk = keys.publicKey;
    this.#options = options;
  }

  sign(data: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    const sk = this.#sk;
    if (sk === undefined) return Promise.reject(disposedKey());
    const rnd = new Uint8Array(this.#params.n);
    try {
      const context = pureContext(options);
      let extraEntropy: Uint8Array | false = false;
      if (this.#options.deterministic !== true) {
        (this.#options.random ?? osRandom)(rnd);
        extraEntropy = rnd;
      }
      return Promise.resolve(this.#params.slh.sign(data, sk, { context, extraEntropy }));
    } catch (err) {
      return Promise.reject(err);
    } finally {
      wipe(rnd);
    }
  }

  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    if (this.#sk === undefined) return Promise.reject(disposedKey());
    return verifyWith(this.#params, this.#pk, data, signature, options);
  }

  publicKey(): PublicKeyExport {
    if (this.#sk === undefined) throw disposedKey();
    return akpExport(this.algorithm, this.#params.oid, this.#pk);
  }

  dispose(): void {
    wipe(this.#sk);
    this.#sk = undefined;
  }
}

/**
 * Loads a key from its key-generation seeds SK.seed‖SK.prf‖PK.seed (3n bytes). Wipes
 * `seed` before returning.
 * @throws {HsmError} `integrity_error` when the seed has the wrong length.
 */
export function loadSlhDsaKey(
  algorithm: Algorithm,
  seed: Uint8Array,
  options: SlhDsaKeyOptions = {},
): LoadedKey {
  const copy = seed.slice();
  wipe(seed);
  try {
    const p = paramsFor(algorithm);
    if (copy.length !== 3 * p.n) throw unreadableMaterial();
    const keys = p.slh.keygen(copy);
    return new SlhDsaPrivateKey(algorithm as SlhDsaAlgorithm, keys, options);
  } finally {
    wipe(copy);
  }
}

/**
 * Builds a verify-only key from a raw public key PK.seed‖PK.root. The bytes are copied.
 * @throws {HsmError} `invalid_request` when the key has the wrong length.
 */
export function slhDsaPublicKey(algorithm: Algorithm, publicKey: Uint8Array): LoadedKey {
  const p = paramsFor(algorithm);
  if (publicKey.length !== p.publicKey) {
    throw new HsmError(
      "invalid_request",
      `Public key must be ${p.publicKey} bytes for ${algorithm}`,
    );
  }
  return new SlhDsaPublicKey(algorithm as SlhDsaAlgorithm, publicKey.slice());
}

/** The SLH-DSA provider: material is SK.seed‖SK.prf‖PK.seed (3n bytes). */
export const slhDsaProvider: Provider = seedProvider({
  seedBytes: (algorithm) => 3 * paramsFor(algorithm).n,
  load: (algorithm, material) => loadSlhDsaKey(algorithm, material),
  /** Hypertree signing and verification are synchronous hashing. */
  offload: Object.freeze({ methods: Object.freeze(["sign", "verify"] as const) }),
});
