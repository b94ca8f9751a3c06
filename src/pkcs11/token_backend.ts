/**
 * The interface between the PKCS#11 protocol layer (dispatcher, sessions, objects) and
 * FerroHSM: log in with a PIN, list keys, read public halves, sign, verify, encrypt,
 * decrypt, create keys and request destruction. `service_backend.ts` implements it over
 * the real services (RBAC, audit, rate limits); tests use a fake. Every method that
 * acts for a user takes the credential from `login` and re-checks it on each call.
 * Errors a caller handles are `Pkcs11Error` carrying the CKR value to answer; messages
 * never hold key material, PINs or tokens.
 */

import type { Algorithm, HashName, Usage } from "../domain/algorithms.ts";
import { HsmError, type HsmErrorCode } from "../domain/errors.ts";
import { CKR, rvName } from "./constants.ts";

/** A failure answered to the client as the CKR value `rv`. */
export class Pkcs11Error extends HsmError {
  /** The PKCS#11 return value to answer. */
  readonly rv: number;

  constructor(rv: number, message?: string, code: HsmErrorCode = codeOf(rv)) {
    super(code, message ?? `PKCS#11 call failed: ${rvName(rv)}`);
    this.name = "Pkcs11Error";
    this.rv = rv;
  }
}

function codeOf(rv: number): HsmErrorCode {
  if (rv === CKR.USER_NOT_LOGGED_IN || rv === CKR.PIN_INCORRECT) return "unauthenticated";
  if (rv === CKR.GENERAL_ERROR || rv === CKR.DEVICE_ERROR) return "internal";
  return "invalid_request";
}

/** A login as the backend resolved it from a PIN (opaque to the protocol layer). */
export interface TokenCredential {
  /** The token's subject (for logs; not secret). */
  readonly subject: string;
  /**
   * True when the credential can become valid again after expiring (a token file an
   * operator job refreshes): the session then stays logged in and each call re-reads it.
   */
  readonly renewable: boolean;
}

/** A key as the token shows it (never material). */
export interface TokenKey {
  readonly id: string;
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly state: "staged" | "active" | "revoked" | "destroyed";
  readonly currentVersion: number;
}

/** The public half of an asymmetric key, in the forms PKCS#11 attributes need. */
export interface TokenPublicKey {
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** EC: the uncompressed point 04‖X‖Y. */
  readonly ecPoint?: Uint8Array;
  /** RSA: modulus and public exponent, unsigned big-endian. */
  readonly modulus?: Uint8Array;
  readonly publicExponent?: Uint8Array;
}

/** What to sign or verify: a signature scheme's input, or a MAC's. */
export type SignInput =
  | {
    readonly kind: "signature";
    readonly data: Uint8Array;
    readonly prehashed: boolean;
    readonly hash: HashName;
    readonly padding?: "pkcs1" | "pss";
    readonly format?: "raw";
  }
  | { readonly kind: "mac"; readonly data: Uint8Array };

/** A key to create. */
export interface NewKey {
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
}

/** FerroHSM as the PKCS#11 token sees it. */
export interface TokenBackend {
  /**
   * Resolves a user PIN (a JWT, or `file:` naming a token file) to a credential.
   * @throws Pkcs11Error(CKR_PIN_INCORRECT) for any PIN that does not authenticate
   */
  login(pin: Uint8Array): Promise<TokenCredential>;
  /** Every key the credential may see. @throws Pkcs11Error */
  listKeys(credential: TokenCredential): Promise<TokenKey[]>;
  /** The public half of an asymmetric key's current version. @throws Pkcs11Error */
  publicKey(credential: TokenCredential, key: TokenKey): Promise<TokenPublicKey>;
  /** Signs (or MACs) with a key's current version. @throws Pkcs11Error */
  sign(credential: TokenCredential, keyId: string, input: SignInput): Promise<Uint8Array>;
  /** Verifies; false for a wrong signature. @throws Pkcs11Error */
  verify(
    credential: TokenCredential,
    keyId: string,
    input: SignInput,
    signature: Uint8Array,
  ): Promise<boolean>;
  /** RSA-OAEP-SHA256 encryption; a non-empty label is the OAEP label. @throws Pkcs11Error */
  encrypt(
    credential: TokenCredential,
    keyId: string,
    plaintext: Uint8Array,
    label?: Uint8Array,
  ): Promise<Uint8Array>;
  /** RSA-OAEP-SHA256 decryption. @throws Pkcs11Error */
  decrypt(
    credential: TokenCredential,
    keyId: string,
    ciphertext: Uint8Array,
    label?: Uint8Array,
  ): Promise<Uint8Array>;
  /** Creates a key. @throws Pkcs11Error */
  createKey(credential: TokenCredential, key: NewKey): Promise<TokenKey>;
  /** Opens a destruction approval; resolves with its id. @throws Pkcs11Error */
  requestDestroy(credential: TokenCredential, keyId: string): Promise<string>;
}
