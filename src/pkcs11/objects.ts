/**
 * The object model of the token: which PKCS#11 objects a FerroHSM key appears as, and
 * every attribute of each. EC and RSA keys are a private and a public key object, HMAC
 * and AES keys one secret key object; other algorithms are not shown. `CKA_LABEL` is the
 * key name and `CKA_ID` the UTF-8 bytes of the key id, so both objects of a pair share
 * it. Secret values (`CKA_VALUE`, RSA private components) are sensitive: asking for
 * them answers CKR_ATTRIBUTE_SENSITIVE and no code path here can reach key material.
 * Pure functions; attributes of the public half say `NEEDS_PUBLIC_KEY` until the caller
 * has fetched it.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import { type Usage } from "../domain/algorithms.ts";
import { CKA, CKK, CKM, CKO } from "./constants.ts";
import { mechanismsFor, type TokenFamily } from "./mechanisms.ts";
import { type Attribute, attributeKind, type AttributeValue } from "./rpc_values.ts";
import type { TokenKey, TokenPublicKey } from "./token_backend.ts";

/** A key object class. */
export type KeyClass = typeof CKO.PRIVATE_KEY | typeof CKO.PUBLIC_KEY | typeof CKO.SECRET_KEY;

/** The attribute exists but its value is secret. */
export const SENSITIVE = Symbol("sensitive");
/** The object has no such attribute. */
export const INVALID = Symbol("invalid");
/** The value comes from the public key, which the caller has not supplied. */
export const NEEDS_PUBLIC_KEY = Symbol("needs public key");

/** The answer for one attribute of one object. */
export type AttributeAnswer =
  | AttributeValue
  | typeof SENSITIVE
  | typeof INVALID
  | typeof NEEDS_PUBLIC_KEY;

const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** DER OIDs of the named curves (CKA_EC_PARAMS). */
export const EC_PARAMS: Readonly<Record<"EC-P256" | "EC-P384", Uint8Array>> = Object.freeze({
  "EC-P256": Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
  "EC-P384": Uint8Array.of(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22),
});

/** The token family of a FerroHSM algorithm, or undefined when the token hides it. */
export function tokenFamily(algorithm: string): TokenFamily | undefined {
  const family = algorithmInfo(algorithm)?.family;
  return family === "ec" || family === "rsa" || family === "hmac" || family === "aes"
    ? family
    : undefined;
}

/** The object classes a key appears as (none for hidden algorithms and unusable states). */
export function keyClasses(key: TokenKey): KeyClass[] {
  if (key.state !== "active" && key.state !== "revoked") return [];
  const family = tokenFamily(key.algorithm);
  if (family === undefined) return [];
  return family === "ec" || family === "rsa" ? [CKO.PRIVATE_KEY, CKO.PUBLIC_KEY] : [CKO.SECRET_KEY];
}

const KEY_TYPE: Readonly<Record<TokenFamily, number>> = Object.freeze({
  ec: CKK.EC,
  rsa: CKK.RSA,
  hmac: CKK.GENERIC_SECRET,
  aes: CKK.AES,
});
const GEN_MECHANISM: Readonly<Record<TokenFamily, number>> = Object.freeze({
  ec: CKM.EC_KEY_PAIR_GEN,
  rsa: CKM.RSA_PKCS_KEY_PAIR_GEN,
  hmac: CKM.GENERIC_SECRET_KEY_GEN,
  aes: CKM.AES_KEY_GEN,
});

/** The CKA_* usage flags of a class, from the key's usages. */
function usageFlag(key: TokenKey, cls: KeyClass, type: number): number | undefined {
  const has = (u: Usage) => (key.usage.includes(u) ? 1 : 0);
  const mac = has("mac");
  const table: Partial<Record<KeyClass, Record<number, number>>> = {
    [CKO.PRIVATE_KEY]: {
      [CKA.SIGN]: has("sign"),
      [CKA.DECRYPT]: has("decrypt"),
      [CKA.UNWRAP]: has("unwrap"),
      [CKA.SIGN_RECOVER]: 0,
      [CKA.DERIVE]: 0,
    },
    [CKO.PUBLIC_KEY]: {
      [CKA.VERIFY]: has("verify"),
      [CKA.ENCRYPT]: has("encrypt"),
      [CKA.WRAP]: has("wrap"),
      [CKA.VERIFY_RECOVER]: 0,
      [CKA.DERIVE]: 0,
    },
    [CKO.SECRET_KEY]: {
      [CKA.SIGN]: mac,
      [CKA.VERIFY]: mac,
      [CKA.ENCRYPT]: has("encrypt"),
      [CKA.DECRYPT]: has("decrypt"),
      [CKA.WRAP]: has("wrap"),
      [CKA.UNWRAP]: has("unwrap"),
      [CKA.DERIVE]: 0,
    },
  };
  return table[cls]?.[type];
}

/** Attributes every key object shares. */
function common(key: TokenKey, cls: KeyClass, family: TokenFamily, type: number) {
  switch (type) {
    case CKA.CLASS:
      return cls;
    case CKA.TOKEN:
    case CKA.PRIVATE:
    case CKA.DESTROYABLE:
    case CKA.LOCAL:
      return 1;
    case CKA.MODIFIABLE:
    case CKA.COPYABLE:
      return 0;
    case CKA.LABEL:
      return ENCODER.encode(key.name);
    case CKA.ID:
      return ENCODER.encode(key.id);
    case CKA.KEY_TYPE:
      return KEY_TYPE[family];
    case CKA.START_DATE:
    case CKA.END_DATE:
      return EMPTY;
    case CKA.KEY_GEN_MECHANISM:
      return GEN_MECHANISM[family];
    case CKA.ALLOWED_MECHANISMS:
      return mechanismsFor(family, key.usage);
    default:
      return undefined;
  }
}

/** Attributes of objects that hold secret material (private and secret keys). */
function secretHolder(type: number) {
  switch (type) {
    case CKA.SENSITIVE:
    case CKA.ALWAYS_SENSITIVE:
    case CKA.NEVER_EXTRACTABLE:
      return 1;
    case CKA.EXTRACTABLE:
    case CKA.WRAP_WITH_TRUSTED:
    case CKA.ALWAYS_AUTHENTICATE:
      return 0;
    case CKA.VALUE:
    case CKA.PRIVATE_EXPONENT:
    case CKA.PRIME_1:
    case CKA.PRIME_2:
    case CKA.EXPONENT_1:
    case CKA.EXPONENT_2:
    case CKA.COEFFICIENT:
      return SENSITIVE;
    default:
      return undefined;
  }
}

/** Attributes of the public half (on both objects of a pair, as many tokens do). */
function publicPart(
  key: TokenKey,
  family: TokenFamily,
  type: number,
  pub: TokenPublicKey | undefined,
): AttributeAnswer | undefined {
  const fromPublic = (value: Uint8Array | undefined) =>
    pub === undefined ? NEEDS_PUBLIC_KEY : value ?? INVALID;
  if (type === CKA.SUBJECT) return EMPTY;
  if (type === CKA.PUBLIC_KEY_INFO) return fromPublic(pub?.spki);
  if (family === "ec") {
    if (type === CKA.EC_PARAMS) {
      return EC_PARAMS[key.algorithm as "EC-P256" | "EC-P384"] ?? INVALID;
    }
    if (type === CKA.EC_POINT) {
      return pub === undefined
        ? NEEDS_PUBLIC_KEY
        : pub.ecPoint === undefined
        ? INVALID
        : derOctetString(pub.ecPoint);
    }
  }
  if (family === "rsa") {
    if (type === CKA.MODULUS_BITS) return algorithmInfo(key.algorithm)?.bits ?? INVALID;
    if (type === CKA.MODULUS) return fromPublic(pub?.modulus);
    if (type === CKA.PUBLIC_EXPONENT) return fromPublic(pub?.publicExponent);
  }
  return undefined;
}

/** DER OCTET STRING around `bytes` (CKA_EC_POINT's encoding). */
export function derOctetString(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const header = n < 0x80
    ? [0x04, n]
    : n < 0x100
    ? [0x04, 0x81, n]
    : [0x04, 0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(header.length + n);
  out.set(header);
  out.set(bytes, header.length);
  return out;
}

/** The value of attribute `type` of the object (`key`, `cls`). */
export function attributeOf(
  key: TokenKey,
  cls: KeyClass,
  type: number,
  pub?: TokenPublicKey,
): AttributeAnswer {
  const family = tokenFamily(key.algorithm);
  if (family === undefined) return INVALID;
  const answer = common(key, cls, family, type) ?? usageFlag(key, cls, type);
  if (answer !== undefined) return answer;
  if (cls === CKO.SECRET_KEY) {
    if (type === CKA.VALUE_LEN) return (algorithmInfo(key.algorithm)?.bits ?? 256) / 8;
    if (type === CKA.TRUSTED) return 0;
    return secretHolder(type) ?? INVALID;
  }
  if (cls === CKO.PUBLIC_KEY && type === CKA.TRUSTED) return 0;
  const pubAnswer = publicPart(key, family, type, pub);
  if (pubAnswer !== undefined) return pubAnswer;
  return cls === CKO.PRIVATE_KEY ? secretHolder(type) ?? INVALID : INVALID;
}

function sameValue(type: number, a: AttributeValue, b: AttributeValue): boolean {
  const kind = attributeKind(type);
  if (kind === "byte") return (a !== 0) === (b !== 0);
  if (typeof a === "number" || typeof b === "number") return a === b;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (kind === "mechanisms" && Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return false;
}

/**
 * True when the object matches every attribute of `template` (C_FindObjects rules:
 * missing and sensitive attributes never match). Returns `NEEDS_PUBLIC_KEY` when the
 * answer depends on the public key and `pub` was not given.
 */
export function matchesTemplate(
  key: TokenKey,
  cls: KeyClass,
  template: readonly Attribute[],
  pub?: TokenPublicKey,
): boolean | typeof NEEDS_PUBLIC_KEY {
  let needsPublic = false;
  for (const attr of template) {
    const have = attributeOf(key, cls, attr.type, pub);
    if (have === NEEDS_PUBLIC_KEY) {
      needsPublic = true;
      continue;
    }
    if (have === SENSITIVE || have === INVALID || attr.value === undefined) return false;
    if (!sameValue(attr.type, have, attr.value)) return false;
  }
  return needsPublic ? NEEDS_PUBLIC_KEY : true;
}
