/**
 * Ed25519 provider (RFC 8032, pure Ed25519 only). Material is PKCS#8 DER (RFC 8410).
 * Signing and verification use Web Crypto with a non-extractable private key. Web Crypto
 * cannot derive the public key from a private one, so `load()` computes it from the
 * 32-byte seed with `@noble/curves`; the seed copy is wiped right after (noble's internal
 * BigInt copies cannot be wiped and live until garbage collection). Ed25519ph is not
 * offered: `prehashed` input is refused. Verification returns false for malformed input.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import {
  decodeChildren,
  decodeDer,
  decodeSequence,
  DER_TAG,
  encodeBitString,
  encodeDer,
  isElement,
  readBitStringBytes,
  readSmallInteger,
} from "../asn1.ts";
import { toBase64Url } from "../encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type { LoadedKey, Provider, PublicKeyExport, SignOptions } from "../provider.ts";
import { wipe } from "../zeroize.ts";
import {
  assertFamily,
  bufferSource,
  disposedKey,
  refuseSignExtensions,
  unreadableMaterial,
} from "./_common.ts";

/** id-Ed25519, 1.3.101.112. */
const ED25519_OID = new Uint8Array([0x2b, 0x65, 0x70]);
const KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;

function refusePrehashed(options: SignOptions | undefined): void {
  refuseSignExtensions("Ed25519", options);
  if (options?.prehashed === true) {
    throw new HsmError("invalid_request", "Prehashed input is not supported for Ed25519 keys");
  }
}

function isEd25519Algorithm(element: { tag: number; contents: Uint8Array } | undefined): boolean {
  if (element?.tag !== DER_TAG.sequence) return false;
  const parts = decodeChildren(element.contents);
  return parts?.length === 1 && isElement(parts[0], DER_TAG.oid, ED25519_OID);
}

/** The public half: verification and export. */
class Ed25519PublicKey implements LoadedKey {
  readonly algorithm: Algorithm = "Ed25519";
  readonly #raw: Uint8Array;
  #verifyKey: CryptoKey | undefined;

  private constructor(raw: Uint8Array, key: CryptoKey) {
    this.#raw = raw;
    this.#verifyKey = key;
  }

  /** Imports a 32-byte public key; undefined when Web Crypto refuses it. */
  static async fromRaw(raw: Uint8Array): Promise<Ed25519PublicKey | undefined> {
    if (raw.length !== KEY_LENGTH) return undefined;
    try {
      const key = await crypto.subtle.importKey(
        "raw",
        bufferSource(raw),
        { name: "Ed25519" },
        true,
        ["verify"],
      );
      return new Ed25519PublicKey(raw.slice(), key);
    } catch {
      return undefined;
    }
  }

  async verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    const key = this.#verifyKey;
    if (key === undefined) throw disposedKey();
    refusePrehashed(options);
    if (signature.length !== SIGNATURE_LENGTH) return false;
    try {
      return await crypto.subtle.verify(
        { name: "Ed25519" },
        key,
        bufferSource(signature),
        bufferSource(data),
      );
    } catch {
      return false;
    }
  }

  publicKey(): PublicKeyExport {
    const spki = encodeDer(
      DER_TAG.sequence,
      encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, ED25519_OID)),
      encodeBitString(this.#raw),
    );
    return { spki, jwk: { kty: "OKP", crv: "Ed25519", x: toBase64Url(this.#raw) } };
  }

  dispose(): void {
    this.#verifyKey = undefined;
  }
}

/** A private key: signs with Web Crypto. */
class Ed25519PrivateKey implements LoadedKey {
  readonly algorithm: Algorithm = "Ed25519";
  readonly #public: Ed25519PublicKey;
  #signKey: CryptoKey | undefined;

  constructor(publicKey: Ed25519PublicKey, signKey: CryptoKey) {
    this.#public = publicKey;
    this.#signKey = signKey;
  }

  async sign(data: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    const key = this.#signKey;
    if (key === undefined) throw disposedKey();
    refusePrehashed(options);
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, bufferSource(data)));
  }

  async verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    if (this.#signKey === undefined) throw disposedKey();
    return await this.#public.verify(data, signature, options);
  }

  publicKey(): PublicKeyExport {
    if (this.#signKey === undefined) throw disposedKey();
    return this.#public.publicKey();
  }

  dispose(): void {
    this.#signKey = undefined;
    this.#public.dispose();
  }
}

/** Returns a view of the 32-byte seed inside RFC 8410 PKCS#8 (version 0 only). */
function parsePkcs8(material: Uint8Array): Uint8Array | undefined {
  const info = decodeSequence(material);
  if (info === undefined || info.length !== 3 || readSmallInteger(info[0]) !== 0) return undefined;
  if (!isEd25519Algorithm(info[1]) || info[2]?.tag !== DER_TAG.octetString) return undefined;
  const seed = decodeDer(info[2].contents); // CurvePrivateKey ::= OCTET STRING
  if (seed?.tag !== DER_TAG.octetString || seed.contents.length !== KEY_LENGTH) return undefined;
  return seed.contents;
}

/**
 * Builds a verify-only key (verify, publicKey, dispose) from SubjectPublicKeyInfo DER;
 * the same verification code the private keys use.
 * @throws HsmError("invalid_request") when `spki` is not an Ed25519 public key
 */
export async function ed25519VerifierFromSpki(
  algorithm: Algorithm,
  spki: Uint8Array,
): Promise<LoadedKey> {
  assertFamily(algorithm, "ed25519");
  const parts = decodeSequence(spki);
  const raw = readBitStringBytes(parts?.[1]);
  const malformed = new HsmError("invalid_request", "Public key is malformed");
  if (parts?.length !== 2 || !isEd25519Algorithm(parts[0]) || raw === undefined) throw malformed;
  const key = await Ed25519PublicKey.fromRaw(raw);
  if (key === undefined) throw malformed;
  return key;
}

/** The Ed25519 provider (material: PKCS#8 DER). */
export const ed25519Provider: Provider = Object.freeze({
  async generate(algorithm: Algorithm): Promise<Uint8Array> {
    assertFamily(algorithm, "ed25519");
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    return new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  },

  async load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey> {
    assertFamily(algorithm, "ed25519");
    const der = bufferSource(material);
    let seed: Uint8Array | undefined;
    try {
      const view = parsePkcs8(der);
      if (view === undefined) throw unreadableMaterial();
      seed = view.slice();
      const publicKey = await Ed25519PublicKey.fromRaw(ed25519.getPublicKey(seed));
      if (publicKey === undefined) throw unreadableMaterial();
      const signKey = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, [
        "sign",
      ]);
      return new Ed25519PrivateKey(publicKey, signKey);
    } catch {
      throw unreadableMaterial();
    } finally {
      wipe(material, der, seed);
    }
  },
});
