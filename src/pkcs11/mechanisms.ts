/**
 * The mechanism registry of the FerroHSM token: one table answers which mechanisms
 * exist, their C_GetMechanismInfo (key sizes, flags), which key family they need and
 * how a call turns into a FerroHSM operation (`SignInput`). Parameter checks live here
 * too: RSA-PSS must use MGF1 with the message hash and a salt as long as the hash
 * (what the core implements), RSA-OAEP must be SHA-256 with MGF1-SHA-256.
 *
 * Caveat: the core cannot RSA-sign a caller's digest (Web Crypto has no raw RSA and a
 * BigInt private-key operation would not be constant time), so CKM_RSA_PKCS and
 * CKM_RSA_PKCS_PSS are verify-only; their hash-and-sign variants sign.
 */

import type { HashName } from "../domain/algorithms.ts";
import { CKF, CKG, CKM, CKR, CKZ_DATA_SPECIFIED } from "./constants.ts";
import type { Mechanism } from "./rpc_values.ts";
import { Pkcs11Error, type SignInput } from "./token_backend.ts";

/** Key families the token exposes. */
export type TokenFamily = "ec" | "rsa" | "hmac" | "aes";

/** How a sign/verify/encrypt mechanism maps onto FerroHSM. */
export type Scheme =
  | "ecdsa"
  | "ecdsa-hash"
  | "rsa-pkcs1"
  | "rsa-pkcs1-hash"
  | "rsa-pss"
  | "rsa-pss-hash"
  | "rsa-oaep"
  | "hmac"
  | "keygen";

/** One supported mechanism. */
export interface MechanismSpec {
  readonly type: number;
  readonly name: string;
  readonly family: TokenFamily;
  readonly scheme: Scheme;
  /** CKF_* flags of C_GetMechanismInfo. */
  readonly flags: number;
  readonly minKeySize: number;
  readonly maxKeySize: number;
  /** The message hash of hash-and-sign mechanisms. */
  readonly hash?: HashName;
  /** True when C_SignUpdate/C_VerifyUpdate may be used. */
  readonly multipart: boolean;
}

const EC_FLAGS = CKF.EC_F_P | CKF.EC_NAMEDCURVE | CKF.EC_UNCOMPRESS;
const SIGN_VERIFY = CKF.SIGN | CKF.VERIFY;

function spec(
  name: keyof typeof CKM,
  family: TokenFamily,
  scheme: Scheme,
  flags: number,
  sizes: readonly [number, number],
  hash?: HashName,
): MechanismSpec {
  return Object.freeze({
    type: CKM[name],
    name: `CKM_${name}`,
    family,
    scheme,
    flags,
    minKeySize: sizes[0],
    maxKeySize: sizes[1],
    ...(hash === undefined ? {} : { hash }),
    multipart: hash !== undefined || scheme === "hmac",
  });
}

const EC_BITS = [256, 384] as const;
const RSA_BITS = [2048, 4096] as const;

/** Every mechanism, in the order C_GetMechanismList reports them. */
export const MECHANISMS: readonly MechanismSpec[] = Object.freeze([
  spec("EC_KEY_PAIR_GEN", "ec", "keygen", CKF.GENERATE_KEY_PAIR | EC_FLAGS, EC_BITS),
  spec("ECDSA", "ec", "ecdsa", SIGN_VERIFY | EC_FLAGS, EC_BITS),
  spec("ECDSA_SHA256", "ec", "ecdsa-hash", SIGN_VERIFY | EC_FLAGS, EC_BITS, "SHA-256"),
  spec("ECDSA_SHA384", "ec", "ecdsa-hash", SIGN_VERIFY | EC_FLAGS, EC_BITS, "SHA-384"),
  spec("ECDSA_SHA512", "ec", "ecdsa-hash", SIGN_VERIFY | EC_FLAGS, EC_BITS, "SHA-512"),
  spec("RSA_PKCS_KEY_PAIR_GEN", "rsa", "keygen", CKF.GENERATE_KEY_PAIR, RSA_BITS),
  spec("RSA_PKCS", "rsa", "rsa-pkcs1", CKF.VERIFY, RSA_BITS),
  spec("SHA256_RSA_PKCS", "rsa", "rsa-pkcs1-hash", SIGN_VERIFY, RSA_BITS, "SHA-256"),
  spec("SHA384_RSA_PKCS", "rsa", "rsa-pkcs1-hash", SIGN_VERIFY, RSA_BITS, "SHA-384"),
  spec("SHA512_RSA_PKCS", "rsa", "rsa-pkcs1-hash", SIGN_VERIFY, RSA_BITS, "SHA-512"),
  spec("RSA_PKCS_PSS", "rsa", "rsa-pss", CKF.VERIFY, RSA_BITS),
  spec("SHA256_RSA_PKCS_PSS", "rsa", "rsa-pss-hash", SIGN_VERIFY, RSA_BITS, "SHA-256"),
  spec("SHA384_RSA_PKCS_PSS", "rsa", "rsa-pss-hash", SIGN_VERIFY, RSA_BITS, "SHA-384"),
  spec("SHA512_RSA_PKCS_PSS", "rsa", "rsa-pss-hash", SIGN_VERIFY, RSA_BITS, "SHA-512"),
  spec("RSA_PKCS_OAEP", "rsa", "rsa-oaep", CKF.ENCRYPT | CKF.DECRYPT, RSA_BITS),
  spec("GENERIC_SECRET_KEY_GEN", "hmac", "keygen", CKF.GENERATE, [256, 256]),
  spec("SHA256_HMAC", "hmac", "hmac", SIGN_VERIFY, [256, 256]),
  spec("AES_KEY_GEN", "aes", "keygen", CKF.GENERATE, [32, 32]),
]);

const BY_TYPE: ReadonlyMap<number, MechanismSpec> = new Map(MECHANISMS.map((m) => [m.type, m]));

/** The spec of a mechanism type, or undefined when the token does not support it. */
export function mechanismSpec(type: number): MechanismSpec | undefined {
  return BY_TYPE.get(type);
}

/** The mechanism types a key of `family` with `usage` may be used with (CKA_ALLOWED_MECHANISMS). */
export function mechanismsFor(family: TokenFamily, usage: readonly string[]): number[] {
  const has = (...names: string[]) => names.some((n) => usage.includes(n));
  return MECHANISMS.filter((m) => {
    if (m.family !== family || m.scheme === "keygen") return false;
    if (m.scheme === "rsa-oaep") return has("encrypt", "decrypt");
    if (m.scheme === "hmac") return has("mac");
    return has("sign", "verify");
  }).map((m) => m.type);
}

const HASH_MECHANISM: Readonly<Record<HashName, number>> = Object.freeze({
  "SHA-256": CKM.SHA256,
  "SHA-384": CKM.SHA384,
  "SHA-512": CKM.SHA512,
});
const HASH_MGF: Readonly<Record<HashName, number>> = Object.freeze({
  "SHA-256": CKG.MGF1_SHA256,
  "SHA-384": CKG.MGF1_SHA384,
  "SHA-512": CKG.MGF1_SHA512,
});
const HASH_BYTES: Readonly<Record<HashName, number>> = Object.freeze({
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
});

function paramInvalid(): Pkcs11Error {
  return new Pkcs11Error(CKR.MECHANISM_PARAM_INVALID);
}

/** The hash of PSS parameters after checking MGF1 and salt length against it. */
function pssHash(params: Mechanism["params"], expected?: HashName): HashName {
  if (params === null || params instanceof Uint8Array || params.kind !== "pss") {
    throw paramInvalid();
  }
  const hash = (Object.keys(HASH_MECHANISM) as HashName[]).find((h) =>
    HASH_MECHANISM[h] === params.hashAlg
  );
  if (hash === undefined || (expected !== undefined && hash !== expected)) throw paramInvalid();
  if (params.mgf !== HASH_MGF[hash] || params.saltLength !== HASH_BYTES[hash]) {
    throw paramInvalid();
  }
  return hash;
}

/**
 * Checks a mechanism's parameters at *Init time and returns what later calls need: the
 * PSS hash, or the OAEP label.
 * @throws Pkcs11Error(CKR_MECHANISM_PARAM_INVALID)
 */
export function checkParams(
  spec: MechanismSpec,
  mechanism: Mechanism,
): { hash?: HashName; label?: Uint8Array } {
  const params = mechanism.params;
  switch (spec.scheme) {
    case "rsa-pss":
      return { hash: pssHash(params) };
    case "rsa-pss-hash":
      return { hash: pssHash(params, spec.hash) };
    case "rsa-oaep": {
      if (params === null || params instanceof Uint8Array || params.kind !== "oaep") {
        throw paramInvalid();
      }
      if (params.hashAlg !== CKM.SHA256 || params.mgf !== CKG.MGF1_SHA256) throw paramInvalid();
      if (params.source === 0) return {};
      if (params.source !== CKZ_DATA_SPECIFIED) throw paramInvalid();
      const label = params.sourceData ?? new Uint8Array(0);
      return label.length === 0 ? {} : { label: label.slice() };
    }
    default:
      if (params instanceof Uint8Array && params.length > 0) throw paramInvalid();
      return {};
  }
}

/** DigestInfo DER prefixes (RFC 8017 §9.2 note 1) by hash. */
const DIGEST_INFO: readonly (readonly [HashName, string])[] = [
  ["SHA-256", "3031300d060960864801650304020105000420"],
  ["SHA-384", "3041300d060960864801650304020205000430"],
  ["SHA-512", "3051300d060960864801650304020305000440"],
];

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Builds the FerroHSM input of a sign/verify mechanism from the caller's data.
 * `curveBytes` is the EC order size (32 or 48) for raw ECDSA; `pss` the checked PSS hash.
 * @throws Pkcs11Error(CKR_DATA_LEN_RANGE | CKR_DATA_INVALID) for unusable input
 */
export function signInput(
  spec: MechanismSpec,
  data: Uint8Array,
  options: { curveBytes?: number; pssHash?: HashName } = {},
): SignInput {
  switch (spec.scheme) {
    case "ecdsa": {
      // CKM_ECDSA signs the given bytes as the hash: keep the leftmost order-size bytes
      // (the bits2int truncation) and left-pad shorter ones, which keeps their value.
      const size = options.curveBytes ?? 32;
      if (data.length === 0 || data.length > 1024) throw new Pkcs11Error(CKR.DATA_LEN_RANGE);
      const digest = new Uint8Array(size);
      if (data.length >= size) digest.set(data.subarray(0, size));
      else digest.set(data, size - data.length);
      const hash: HashName = size === 48 ? "SHA-384" : "SHA-256";
      return { kind: "signature", data: digest, prehashed: true, hash, format: "raw" };
    }
    case "ecdsa-hash":
      return {
        kind: "signature",
        data,
        prehashed: false,
        hash: spec.hash ?? "SHA-256",
        format: "raw",
      };
    case "rsa-pkcs1": {
      const match = DIGEST_INFO.find(([hash, prefix]) =>
        data.length === prefix.length / 2 + HASH_BYTES[hash] &&
        hex(data.subarray(0, prefix.length / 2)) === prefix
      );
      if (match === undefined) throw new Pkcs11Error(CKR.DATA_INVALID);
      const hash = match[0];
      const digest = data.slice(data.length - HASH_BYTES[hash]);
      return { kind: "signature", data: digest, prehashed: true, hash, padding: "pkcs1" };
    }
    case "rsa-pkcs1-hash":
      return {
        kind: "signature",
        data,
        prehashed: false,
        hash: spec.hash ?? "SHA-256",
        padding: "pkcs1",
      };
    case "rsa-pss": {
      const hash = options.pssHash ?? "SHA-256";
      if (data.length !== HASH_BYTES[hash]) throw new Pkcs11Error(CKR.DATA_LEN_RANGE);
      return { kind: "signature", data, prehashed: true, hash, padding: "pss" };
    }
    case "rsa-pss-hash":
      return {
        kind: "signature",
        data,
        prehashed: false,
        hash: spec.hash ?? "SHA-256",
        padding: "pss",
      };
    case "hmac":
      return { kind: "mac", data };
    default:
      throw new TypeError(`${spec.name} is not a sign/verify mechanism`);
  }
}

/** True when the core can sign with the mechanism (not only verify). */
export function canSign(spec: MechanismSpec): boolean {
  return (spec.flags & CKF.SIGN) !== 0;
}
