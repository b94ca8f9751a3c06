/**
 * `offloadKey` turns sealed-then-unsealed key material into a `LoadedKey` whose slow calls
 * run in the offload pool, with the same methods, results and errors as the provider's own
 * key (`HsmError` codes survive the hop). The provider's `offload` policy decides what is
 * slow: without a policy the key is simply loaded on the main thread; a policy without
 * `when` (the post-quantum families) sends every call to the pool and keeps no key on the
 * main thread (the public half is cached); a policy with `when` (prehashed ECDSA, RSA)
 * loads the key on both sides and routes each call.
 *
 * Wiring (for the integrator): create one pool at start-up (`createOffloadPool()`), make
 * `KeyLoader#unseal` call `offloadKey(pool, algorithm, material)` instead of
 * `providerFor(algorithm).load(...)`, keep disposing evicted keys as today (dispose tells
 * the workers to wipe), and `await pool.close()` at shutdown after `KeyLoader.clear()`.
 * `generateMaterial` generates new keys' material in the pool for the same providers.
 *
 * Security caveat: see `pool.ts` (one copy of the key per worker).
 */

import type { Algorithm } from "../../domain/algorithms.ts";
import type {
  Encapsulation,
  LoadedKey,
  OffloadMethod,
  OffloadPolicy,
  PublicKeyExport,
  SignOptions,
} from "../provider.ts";
import { providerFor } from "../providers/index.ts";
import { wipe } from "../zeroize.ts";
import type { KeyMethod } from "./protocol.ts";
import type { OffloadPool, RemoteKey } from "./pool.ts";

function disposed(): TypeError {
  return new TypeError("Key has been disposed");
}

/** A `LoadedKey` whose calls go to the pool or to a main-thread copy, per the policy. */
class OffloadedKey implements LoadedKey {
  readonly algorithm: Algorithm;
  readonly #policy: OffloadPolicy;
  #remote: RemoteKey | undefined;
  #local: LoadedKey | undefined;
  readonly #publicKey: PublicKeyExport | undefined;

  declare encrypt?: (plaintext: Uint8Array, aad?: Uint8Array) => Promise<Uint8Array>;
  declare decrypt?: (ciphertext: Uint8Array, aad?: Uint8Array) => Promise<Uint8Array>;
  declare sign?: (data: Uint8Array, options?: SignOptions) => Promise<Uint8Array>;
  declare verify?: (
    data: Uint8Array,
    signature: Uint8Array,
    options?: SignOptions,
  ) => Promise<boolean>;
  declare mac?: (message: Uint8Array) => Promise<Uint8Array>;
  declare macVerify?: (message: Uint8Array, tag: Uint8Array) => Promise<boolean>;
  declare encapsulate?: () => Promise<Encapsulation>;
  declare decapsulate?: (ciphertext: Uint8Array) => Promise<Uint8Array>;
  declare publicKey?: () => PublicKeyExport;

  constructor(
    algorithm: Algorithm,
    policy: OffloadPolicy,
    remote: RemoteKey,
    local: LoadedKey | undefined,
  ) {
    this.algorithm = algorithm;
    this.#policy = policy;
    this.#remote = remote;
    this.#local = local;
    this.#publicKey = remote.publicKey as PublicKeyExport | undefined;
    const has = (m: KeyMethod) => remote.methods.has(m);
    if (has("encrypt")) this.encrypt = (p, aad) => this.#route("encrypt", undefined, [p, aad]);
    if (has("decrypt")) this.decrypt = (c, aad) => this.#route("decrypt", undefined, [c, aad]);
    if (has("sign")) this.sign = (d, o) => this.#route("sign", o, [d, o]);
    if (has("verify")) this.verify = (d, s, o) => this.#route("verify", o, [d, s, o]);
    if (has("mac")) this.mac = (m) => this.#route("mac", undefined, [m]);
    if (has("macVerify")) this.macVerify = (m, t) => this.#route("macVerify", undefined, [m, t]);
    if (has("encapsulate")) this.encapsulate = () => this.#route("encapsulate", undefined, []);
    if (has("decapsulate")) this.decapsulate = (c) => this.#route("decapsulate", undefined, [c]);
    if (this.#publicKey !== undefined) this.publicKey = () => this.#exportPublic();
  }

  dispose(): void {
    this.#remote?.dispose();
    this.#local?.dispose();
    this.#remote = undefined;
    this.#local = undefined;
  }

  #exportPublic(): PublicKeyExport {
    if (this.#remote === undefined || this.#publicKey === undefined) throw disposed();
    return structuredClone(this.#publicKey);
  }

  #route<T>(method: KeyMethod, options: SignOptions | undefined, args: unknown[]): Promise<T> {
    const remote = this.#remote;
    if (remote === undefined) return Promise.reject(disposed());
    const local = this.#local;
    if (local === undefined || this.#offloads(method, options)) {
      return remote.call(method, trimArgs(args)) as Promise<T>;
    }
    const fn = local[method] as ((...a: unknown[]) => Promise<T>) | undefined;
    if (fn === undefined) return Promise.reject(new TypeError(`Key has no method ${method}`));
    return fn.apply(local, args);
  }

  #offloads(method: KeyMethod, options: SignOptions | undefined): boolean {
    const m = method as OffloadMethod;
    if (!this.#policy.methods.includes(m)) return false;
    return this.#policy.when === undefined || this.#policy.when(m, options);
  }
}

/** Drops trailing undefined arguments (structured clone keeps them, which is harmless). */
function trimArgs(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

/**
 * Loads `material` (wiped before this returns or throws) as a key whose slow calls run in
 * `pool`; keys of providers without an `offload` policy are loaded on the main thread.
 * @throws HsmError as the provider's `load` (`integrity_error` for unreadable material),
 * or `unavailable` when the pool is closed
 */
export async function offloadKey(
  pool: OffloadPool,
  algorithm: Algorithm,
  material: Uint8Array,
): Promise<LoadedKey> {
  const provider = providerFor(algorithm);
  let policy: OffloadPolicy | undefined;
  try {
    policy = provider.offload?.(algorithm);
  } catch (err) {
    wipe(material);
    throw err;
  }
  if (policy === undefined) return await provider.load(algorithm, material);
  const localCopy = policy.when === undefined ? undefined : material.slice();
  let local: LoadedKey | undefined;
  try {
    const remote = await pool.load(algorithm, material);
    try {
      if (localCopy !== undefined) local = await provider.load(algorithm, localCopy);
    } catch (err) {
      remote.dispose();
      throw err;
    }
    return new OffloadedKey(algorithm, policy, remote, local);
  } finally {
    wipe(material, localCopy);
  }
}

/**
 * Generates fresh material for `algorithm`: in `pool` when its provider declares an
 * `offload` policy (key generation blocks the calling thread for Web Crypto EC and the
 * noble families), else on the main thread (AES and HMAC material is random bytes). The
 * caller seals and wipes the result.
 * @throws RangeError for an unknown algorithm; HsmError("unavailable") when the pool is closed
 */
export async function generateMaterial(
  pool: OffloadPool,
  algorithm: Algorithm,
): Promise<Uint8Array> {
  const provider = providerFor(algorithm);
  if (provider.offload?.(algorithm) === undefined) return await provider.generate(algorithm);
  return await pool.generate(algorithm);
}
