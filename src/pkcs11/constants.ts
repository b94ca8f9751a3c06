/**
 * PKCS#11 v2.40 numeric constants used by the FerroHSM token: return values (CKR),
 * attribute types (CKA), object classes (CKO), key types (CKK), mechanisms (CKM), flags
 * (CKF), user types (CKU) and session states (CKS). Values are those of the OASIS
 * header; every table is a frozen null-prototype object so a number from the wire can
 * never resolve to an inherited property. No secrets here.
 */

function table<T extends Record<string, number>>(entries: T): Readonly<T> {
  return Object.freeze(Object.assign(Object.create(null), entries) as T);
}

/** Return values. */
export const CKR = table({
  OK: 0x0,
  HOST_MEMORY: 0x2,
  SLOT_ID_INVALID: 0x3,
  GENERAL_ERROR: 0x5,
  FUNCTION_FAILED: 0x6,
  ARGUMENTS_BAD: 0x7,
  ATTRIBUTE_READ_ONLY: 0x10,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  ATTRIBUTE_VALUE_INVALID: 0x13,
  ACTION_PROHIBITED: 0x1b,
  DATA_INVALID: 0x20,
  DATA_LEN_RANGE: 0x21,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  ENCRYPTED_DATA_INVALID: 0x40,
  ENCRYPTED_DATA_LEN_RANGE: 0x41,
  FUNCTION_NOT_SUPPORTED: 0x54,
  KEY_HANDLE_INVALID: 0x60,
  KEY_SIZE_RANGE: 0x62,
  KEY_TYPE_INCONSISTENT: 0x63,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
  MECHANISM_INVALID: 0x70,
  MECHANISM_PARAM_INVALID: 0x71,
  OBJECT_HANDLE_INVALID: 0x82,
  OPERATION_ACTIVE: 0x90,
  OPERATION_NOT_INITIALIZED: 0x91,
  PIN_INCORRECT: 0xa0,
  PIN_LEN_RANGE: 0xa2,
  SESSION_COUNT: 0xb1,
  SESSION_HANDLE_INVALID: 0xb3,
  SESSION_PARALLEL_NOT_SUPPORTED: 0xb4,
  SESSION_READ_ONLY: 0xb5,
  SIGNATURE_INVALID: 0xc0,
  SIGNATURE_LEN_RANGE: 0xc1,
  TEMPLATE_INCOMPLETE: 0xd0,
  TEMPLATE_INCONSISTENT: 0xd1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  USER_TYPE_INVALID: 0x103,
  RANDOM_SEED_NOT_SUPPORTED: 0x120,
  CURVE_NOT_SUPPORTED: 0x140,
  BUFFER_TOO_SMALL: 0x150,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
  FUNCTION_REJECTED: 0x200,
});

/** `CKF_ARRAY_ATTRIBUTE`: set on attribute types whose value is an attribute array. */
export const CKF_ARRAY_ATTRIBUTE = 0x40000000;

/** Attribute types. */
export const CKA = table({
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  APPLICATION: 0x10,
  VALUE: 0x11,
  OBJECT_ID: 0x12,
  TRUSTED: 0x86,
  CHECK_VALUE: 0x90,
  KEY_TYPE: 0x100,
  SUBJECT: 0x101,
  ID: 0x102,
  SENSITIVE: 0x103,
  ENCRYPT: 0x104,
  DECRYPT: 0x105,
  WRAP: 0x106,
  UNWRAP: 0x107,
  SIGN: 0x108,
  SIGN_RECOVER: 0x109,
  VERIFY: 0x10a,
  VERIFY_RECOVER: 0x10b,
  DERIVE: 0x10c,
  START_DATE: 0x110,
  END_DATE: 0x111,
  MODULUS: 0x120,
  MODULUS_BITS: 0x121,
  PUBLIC_EXPONENT: 0x122,
  PRIVATE_EXPONENT: 0x123,
  PRIME_1: 0x124,
  PRIME_2: 0x125,
  EXPONENT_1: 0x126,
  EXPONENT_2: 0x127,
  COEFFICIENT: 0x128,
  PUBLIC_KEY_INFO: 0x129,
  VALUE_BITS: 0x160,
  VALUE_LEN: 0x161,
  EXTRACTABLE: 0x162,
  LOCAL: 0x163,
  NEVER_EXTRACTABLE: 0x164,
  ALWAYS_SENSITIVE: 0x165,
  KEY_GEN_MECHANISM: 0x166,
  MODIFIABLE: 0x170,
  COPYABLE: 0x171,
  DESTROYABLE: 0x172,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  ALWAYS_AUTHENTICATE: 0x202,
  WRAP_WITH_TRUSTED: 0x210,
  WRAP_TEMPLATE: CKF_ARRAY_ATTRIBUTE | 0x211,
  UNWRAP_TEMPLATE: CKF_ARRAY_ATTRIBUTE | 0x212,
  ALLOWED_MECHANISMS: CKF_ARRAY_ATTRIBUTE | 0x600,
});

/** Object classes. */
export const CKO = table({
  DATA: 0x0,
  CERTIFICATE: 0x1,
  PUBLIC_KEY: 0x2,
  PRIVATE_KEY: 0x3,
  SECRET_KEY: 0x4,
});

/** Key types. */
export const CKK = table({
  RSA: 0x0,
  EC: 0x3,
  GENERIC_SECRET: 0x10,
  AES: 0x1f,
  SHA256_HMAC: 0x2b,
});

/** Mechanism types. */
export const CKM = table({
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  RSA_PKCS: 0x1,
  RSA_PKCS_OAEP: 0x9,
  RSA_PKCS_PSS: 0xd,
  SHA256_RSA_PKCS: 0x40,
  SHA384_RSA_PKCS: 0x41,
  SHA512_RSA_PKCS: 0x42,
  SHA256_RSA_PKCS_PSS: 0x43,
  SHA384_RSA_PKCS_PSS: 0x44,
  SHA512_RSA_PKCS_PSS: 0x45,
  SHA256: 0x250,
  SHA256_HMAC: 0x251,
  SHA384: 0x260,
  SHA512: 0x270,
  GENERIC_SECRET_KEY_GEN: 0x350,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
  ECDSA_SHA256: 0x1044,
  ECDSA_SHA384: 0x1045,
  ECDSA_SHA512: 0x1046,
  AES_KEY_GEN: 0x1080,
});

/** MGF1 generators of RSA-PSS and RSA-OAEP parameters. */
export const CKG = table({
  MGF1_SHA256: 0x2,
  MGF1_SHA384: 0x3,
  MGF1_SHA512: 0x4,
});

/** `CKZ_DATA_SPECIFIED`: the OAEP source is a label given in the parameters. */
export const CKZ_DATA_SPECIFIED = 0x1;

/** Flags of slots, tokens, sessions and mechanisms. */
export const CKF = table({
  TOKEN_PRESENT: 0x1,
  RNG: 0x1,
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  TOKEN_INITIALIZED: 0x400,
  RW_SESSION: 0x2,
  SERIAL_SESSION: 0x4,
  ENCRYPT: 0x100,
  DECRYPT: 0x200,
  SIGN: 0x800,
  VERIFY: 0x2000,
  GENERATE: 0x8000,
  GENERATE_KEY_PAIR: 0x10000,
  WRAP: 0x20000,
  UNWRAP: 0x40000,
  EC_F_P: 0x100000,
  EC_NAMEDCURVE: 0x800000,
  EC_UNCOMPRESS: 0x1000000,
});

/** User types of C_Login. */
export const CKU = table({ SO: 0, USER: 1, CONTEXT_SPECIFIC: 2 });

/** Session states of C_GetSessionInfo. */
export const CKS = table({
  RO_PUBLIC_SESSION: 0,
  RO_USER_FUNCTIONS: 1,
  RW_PUBLIC_SESSION: 2,
  RW_USER_FUNCTIONS: 3,
});

/** `CK_UNAVAILABLE_INFORMATION` (~0 as a 64-bit CK_ULONG). */
export const CK_UNAVAILABLE_INFORMATION = 0xffff_ffff_ffff_ffffn;

/** `CK_EFFECTIVELY_INFINITE`. */
export const CK_EFFECTIVELY_INFINITE = 0;

const RV_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(CKR).map(([name, value]) => [value, `CKR_${name}`]),
);

/** `CKR_USER_NOT_LOGGED_IN` for 0x101; `CKR_0x...` for values this module does not name. */
export function rvName(rv: number): string {
  return RV_NAMES.get(rv) ?? `CKR_0x${rv.toString(16)}`;
}
