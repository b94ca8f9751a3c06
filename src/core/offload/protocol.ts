/**
 * The message protocol between the offload pool (main thread) and its crypto workers, and
 * the error encoding that lets `HsmError` codes survive the thread hop. Messages carry key
 * material only in `load` (transferred, never copied), in the answer to `generate` (fresh
 * material, transferred back) and results only back to the caller.
 *
 * Security caveat: an unexpected error (not an `HsmError`, `TypeError` or `RangeError`)
 * crosses as a bare kind with no message, so nothing a library put in a message can leak.
 */

import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError, type HsmErrorCode } from "../../domain/errors.ts";

/** The `LoadedKey` methods a worker can run. */
export const KEY_METHODS = [
  "encrypt",
  "decrypt",
  "sign",
  "verify",
  "mac",
  "macVerify",
  "encapsulate",
  "decapsulate",
] as const;

/** One of `KEY_METHODS`. */
export type KeyMethod = typeof KEY_METHODS[number];

/** A request from the pool to a worker. */
export type WorkerRequest =
  | {
    readonly kind: "load";
    readonly id: number;
    readonly handle: number;
    readonly algorithm: Algorithm;
    readonly material: Uint8Array;
  }
  | {
    readonly kind: "call";
    readonly id: number;
    readonly handle: number;
    readonly method: KeyMethod;
    readonly args: readonly unknown[];
  }
  | { readonly kind: "generate"; readonly id: number; readonly algorithm: Algorithm }
  | { readonly kind: "dispose"; readonly id: number; readonly handle: number }
  | { readonly kind: "count"; readonly id: number }
  | { readonly kind: "close"; readonly id: number };

/** What a worker answers to `load`: the methods the key has and its public half. */
export interface LoadReply {
  readonly methods: readonly KeyMethod[];
  readonly publicKey?: unknown;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly kind: "HsmError" | "TypeError" | "RangeError" | "Error";
  readonly code?: HsmErrorCode;
  readonly message?: string;
}

/** A worker's answer to the request with the same `id`. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

/** Encodes an error for the main thread (unexpected errors lose their message). */
export function toWire(err: unknown): WireError {
  if (err instanceof HsmError) return { kind: "HsmError", code: err.code, message: err.message };
  if (err instanceof RangeError) return { kind: "RangeError", message: err.message };
  if (err instanceof TypeError) return { kind: "TypeError", message: err.message };
  return { kind: "Error" };
}

/** Rebuilds the error a worker reported, with the same class and `HsmError` code. */
export function fromWire(error: WireError): Error {
  switch (error.kind) {
    case "HsmError":
      return new HsmError(error.code ?? "internal", error.message ?? "Operation failed");
    case "RangeError":
      return new RangeError(error.message);
    case "TypeError":
      return new TypeError(error.message);
    default:
      return new HsmError("internal", "Cryptographic operation failed in a worker");
  }
}
