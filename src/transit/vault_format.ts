/**
 * Vault Transit's wire formats: the `vault:v<N>:<data>` strings of ciphertexts,
 * signatures and HMACs, their translation to FerroHSM's own ciphertext strings, and the
 * loosely typed request fields Vault accepts (booleans and integers may arrive as
 * strings, as Vault's field decoder allows). Messages name the field, never its value.
 */

import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";

/** Most items in one `batch_input`. */
export const MAX_BATCH_ITEMS = 1000;

const VERSIONED_RE = /^vault:v([1-9][0-9]{0,8}):([A-Za-z0-9+/=_-]*)$/;
const FERRO_RE = /^fhsm:v[1-9][0-9]{0,8}:/;

/** A `vault:v<N>:<data>` string split into its version and data. */
export interface Versioned {
  readonly version: number;
  readonly data: string;
}

/**
 * Splits a `vault:v<N>:<data>` string.
 * @throws HsmError("invalid_request") naming `what` when it is not one
 */
export function parseVersioned(text: unknown, what: string): Versioned {
  const m = typeof text === "string" ? VERSIONED_RE.exec(text) : null;
  if (m === null) {
    throw new HsmError("invalid_request", `Invalid ${what}: expected vault:v<version>:<data>`);
  }
  return { version: Number(m[1]), data: m[2] as string };
}

/** Formats `vault:v<version>:<data>`. */
export function formatVersioned(version: number, data: string): string {
  return `vault:v${version}:${data}`;
}

/**
 * The Transit ciphertext of what CryptoService.encrypt returned: its `fhsm:vN:` prefix
 * (symmetric keys) or bare base64 (RSA-OAEP) under the version that made it.
 */
export function transitCiphertext(ferro: string, version: number): string {
  return formatVersioned(version, ferro.replace(FERRO_RE, ""));
}

/** The FerroHSM ciphertext string for a symmetric key's Transit ciphertext. */
export function ferroCiphertext(parsed: Versioned): string {
  return `fhsm:v${parsed.version}:${parsed.data}`;
}

/** Encodes signature bytes as Vault marshals them: base64, or unpadded base64url for JWS. */
export function encodeSignature(bytes: Uint8Array, marshaling: Marshaling): string {
  return marshaling === "jws" ? toBase64Url(bytes) : toBase64(bytes);
}

/**
 * Decodes the data of a signature string.
 * @throws HsmError("invalid_request") when it is not valid for the marshaling
 */
export function decodeSignature(data: string, marshaling: Marshaling): Uint8Array {
  const bytes = marshaling === "jws" ? fromBase64Url(data) : fromBase64(data);
  if (bytes === undefined || bytes.length === 0) {
    throw new HsmError("invalid_request", "Invalid signature encoding");
  }
  return bytes;
}

/** How a signature is marshaled: DER/PKCS (asn1) or JOSE (jws, raw r‖s for ECDSA). */
export type Marshaling = "asn1" | "jws";

/** A request body (or one batch item) with Vault's field decoding. */
export class VaultFields {
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #where: string;

  /** `where` prefixes messages, e.g. `batch_input[3].` for an item. */
  constructor(raw: Readonly<Record<string, unknown>>, where = "") {
    this.#raw = raw;
    this.#where = where;
  }

  /** True when the field is present and not null. */
  has(name: string): boolean {
    return Object.hasOwn(this.#raw, name) && this.#raw[name] !== null;
  }

  /** A string field, or undefined when absent. */
  string(name: string): string | undefined {
    if (!this.has(name)) return undefined;
    const value = this.#raw[name];
    if (typeof value !== "string") throw this.#invalid(name, "expected a string");
    return value;
  }

  /** A base64 field decoded, or undefined when absent (or empty, when `emptyIsAbsent`). */
  bytes(name: string, emptyIsAbsent = false): Uint8Array | undefined {
    const text = this.string(name);
    if (text === undefined || (emptyIsAbsent && text === "")) return undefined;
    const bytes = fromBase64(text);
    if (bytes === undefined) throw this.#invalid(name, "expected standard base64");
    return bytes;
  }

  /** A boolean field (also "true"/"false"/"1"/"0"), or undefined when absent. */
  bool(name: string): boolean | undefined {
    if (!this.has(name)) return undefined;
    const value = this.#raw[name];
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "1" || value === 1) return true;
    if (value === "false" || value === "0" || value === 0 || value === "") return false;
    throw this.#invalid(name, "expected a boolean");
  }

  /** A non-negative integer field (also as a decimal string), or undefined when absent. */
  int(name: string): number | undefined {
    if (!this.has(name)) return undefined;
    const value = this.#raw[name];
    const n = typeof value === "string" && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw this.#invalid(name, "expected a non-negative integer");
    }
    return n;
  }

  /** One of `choices`, or `fallback` when absent or empty. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined || value === "") return fallback;
    if (!(choices as readonly string[]).includes(value)) {
      throw this.#invalid(name, `expected one of ${choices.join(", ")}`);
    }
    return value as T;
  }

  /** The `batch_input` items, or undefined when the request is not a batch. */
  batch(): VaultFields[] | undefined {
    if (!this.has("batch_input")) return undefined;
    const items = this.#raw.batch_input;
    if (!Array.isArray(items) || items.length === 0) {
      throw new HsmError("invalid_request", "Missing batch input to process");
    }
    if (items.length > MAX_BATCH_ITEMS) {
      throw new HsmError(
        "invalid_request",
        `Too many batch items: at most ${MAX_BATCH_ITEMS} per request`,
      );
    }
    return items.map((item, i) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw new HsmError("invalid_request", `Invalid batch_input[${i}]: expected an object`);
      }
      return new VaultFields(item as Record<string, unknown>, `batch_input[${i}].`);
    });
  }

  #invalid(name: string, detail: string): HsmError {
    return new HsmError("invalid_request", `Invalid ${this.#where}${name}: ${detail}`);
  }
}

/**
 * Parses a request body as Vault does: empty means no fields; otherwise a JSON object.
 * @throws HsmError("invalid_request") for anything else
 */
export function parseVaultBody(text: string): VaultFields {
  if (text.trim() === "") return new VaultFields({});
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HsmError("invalid_request", "Failed to parse JSON input");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HsmError("invalid_request", "Failed to parse JSON input: expected an object");
  }
  return new VaultFields(value as Record<string, unknown>);
}
