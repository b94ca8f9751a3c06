/**
 * The Crypto screen's requests and results, without any UI: the form's values become
 * an `encrypt`/`decrypt`/`sign`/`verify` body (input typed as text or base64, or read
 * from a file), and an answer becomes the value to show, copy and save. Decrypted
 * bytes are shown as text only when they are printable UTF-8, base64 otherwise.
 */

import { fromBase64, toBase64, utf8 } from "../core/encoding.ts";
import { isSafe } from "./sanitize.ts";

/** The operations of the Crypto screen. */
export const CRYPTO_OPERATIONS = ["encrypt", "decrypt", "sign", "verify"] as const;

/** One of `CRYPTO_OPERATIONS`. */
export type CryptoOperation = typeof CRYPTO_OPERATIONS[number];

/** How the input field is read. */
export const INPUT_MODES = ["text", "base64", "file"] as const;

/** The form's values. */
export interface CryptoValues {
  readonly keyId: string;
  readonly operation: CryptoOperation;
  readonly inputMode: typeof INPUT_MODES[number];
  /** Typed input, or a file path in file mode. */
  readonly input: string;
  /** Additional authenticated data (text), encrypt/decrypt. */
  readonly aad: string;
  /** Signature to verify: base64, or `@path` of a file holding the raw bytes. */
  readonly signature: string;
  readonly digest: boolean;
  readonly hash: string;
  readonly padding: string;
  readonly format: string;
}

/** The shown result: what to display, copy and save. */
export interface CryptoResult {
  readonly operation: CryptoOperation;
  readonly answer: Record<string, unknown>;
  readonly label: string;
  /** The copyable text. */
  readonly text: string;
  /** The bytes `w` writes (ciphertext text, plaintext, signature). */
  readonly bytes: Uint8Array | undefined;
  readonly ok: boolean;
}

/** Reads a file (injected for tests). */
export type ReadFile = (path: string) => Promise<Uint8Array>;

/** The input bytes of `values`. @throws TypeError with a message for the status line */
async function inputBytes(values: CryptoValues, readFile: ReadFile): Promise<Uint8Array> {
  if (values.inputMode === "file") {
    if (values.input.trim() === "") throw new TypeError("Cannot read the input: no file given");
    return await readFile(values.input.trim());
  }
  if (values.inputMode === "base64") {
    const bytes = fromBase64(values.input.trim());
    if (bytes === undefined) throw new TypeError("Cannot read the input: not standard base64");
    return bytes;
  }
  return utf8(values.input);
}

/**
 * The request body for `values`.
 * @throws TypeError with a user-facing message for an unreadable input or signature
 */
export async function cryptoBody(
  values: CryptoValues,
  readFile: ReadFile,
): Promise<Record<string, unknown>> {
  if (values.keyId.trim() === "") throw new TypeError("Cannot run: enter a key id");
  const data = await inputBytes(values, readFile);
  const aad = values.aad === "" ? {} : { aad: toBase64(utf8(values.aad)) };
  if (values.operation === "encrypt") return { plaintext: toBase64(data), ...aad };
  if (values.operation === "decrypt") {
    return { ciphertext: new TextDecoder().decode(data).trim(), ...aad };
  }
  const body: Record<string, unknown> = {
    [values.digest ? "digest" : "message"]: toBase64(data),
    ...(values.hash === "default" ? {} : { hash: values.hash }),
    ...(values.padding === "default" ? {} : { padding: values.padding }),
    ...(values.format === "default" ? {} : { signature_format: values.format }),
  };
  data.fill(0);
  if (values.operation === "verify") {
    const sig = values.signature.trim();
    const bytes = sig.startsWith("@") ? await readFile(sig.slice(1)) : fromBase64(sig);
    if (bytes === undefined || bytes.length === 0) {
      throw new TypeError("Cannot verify: give the signature as base64 or @file");
    }
    body.signature = toBase64(bytes);
  }
  return body;
}

/** The result to show for `answer`. */
export function cryptoResult(
  operation: CryptoOperation,
  answer: Record<string, unknown>,
): CryptoResult {
  const field = (name: string) => typeof answer[name] === "string" ? answer[name] as string : "";
  if (operation === "encrypt") {
    const text = field("ciphertext");
    return { operation, answer, label: "ciphertext", text, bytes: utf8(text), ok: true };
  }
  if (operation === "sign") {
    const text = field("signature");
    return {
      operation,
      answer,
      label: "signature (base64)",
      text,
      bytes: fromBase64(text),
      ok: true,
    };
  }
  if (operation === "verify") {
    const valid = answer.valid === true;
    return {
      operation,
      answer,
      label: "signature",
      text: valid ? "valid" : "INVALID",
      bytes: undefined,
      ok: valid,
    };
  }
  const bytes = fromBase64(field("plaintext")) ?? new Uint8Array();
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  const printable = text !== undefined && isSafe(text.replace(/[\n\t]/g, " "));
  return {
    operation,
    answer,
    label: printable ? "plaintext (text)" : "plaintext (base64)",
    text: printable ? text ?? "" : field("plaintext"),
    bytes,
    ok: true,
  };
}
