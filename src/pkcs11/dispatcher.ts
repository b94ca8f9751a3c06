/**
 * The RPC dispatcher: decodes a request body, runs the handler of its call against the
 * connection's state and the token backend, and encodes the response. A handler's
 * `Pkcs11Error` becomes an error reply (call id 0, signature `u`, the CKR value); calls
 * the token does not implement answer CKR_FUNCTION_NOT_SUPPORTED; an unexpected error
 * answers CKR_GENERAL_ERROR and is logged by name only. A malformed body raises
 * `RpcProtocolError`, on which the socket server closes the connection.
 */

import { wipe } from "../core/zeroize.ts";
import type { Logger } from "../util/logger.ts";
import { CKR, rvName } from "./constants.ts";
import { objectCalls } from "./calls_objects.ts";
import { cryptoCalls } from "./calls_crypto.ts";
import { tokenCalls } from "./calls_token.ts";
import type { CallContext, CallHandler } from "./call_context.ts";
import { decodeRequest, encodeError, encodeResponse } from "./rpc_message.ts";
import type { ClientState } from "./sessions.ts";
import { Pkcs11Error, type TokenBackend } from "./token_backend.ts";

/** Token identity and limits. */
export interface DispatcherOptions {
  /** The token serial number (the installation id; at most 16 characters). */
  readonly serial: string;
  /** Largest C_GenerateRandom request in bytes (default 64 KiB). */
  readonly maxRandomBytes?: number;
  readonly log?: Logger;
}

/** Decodes, runs and encodes one RPC call. */
export class Pkcs11Dispatcher {
  readonly #backend: TokenBackend;
  readonly #serial: string;
  readonly #maxRandomBytes: number;
  readonly #log: Logger | undefined;
  readonly #handlers: ReadonlyMap<string, CallHandler>;

  constructor(backend: TokenBackend, options: DispatcherOptions) {
    if (options.serial.length === 0 || options.serial.length > 16) {
      throw new RangeError("Token serial must be 1 to 16 characters");
    }
    this.#backend = backend;
    this.#serial = options.serial;
    this.#maxRandomBytes = options.maxRandomBytes ?? 64 * 1024;
    this.#log = options.log;
    this.#handlers = new Map([...tokenCalls, ...objectCalls, ...cryptoCalls]);
  }

  /**
   * Handles one request body and returns the response body.
   * @throws RpcProtocolError when the body is malformed (close the connection)
   */
  async handle(state: ClientState, body: Uint8Array): Promise<Uint8Array> {
    const { call, args } = decodeRequest(body);
    const handler = this.#handlers.get(call.name);
    if (handler === undefined) {
      const rv = call.name === "C_SeedRandom"
        ? CKR.RANDOM_SEED_NOT_SUPPORTED
        : CKR.FUNCTION_NOT_SUPPORTED;
      return encodeError(rv);
    }
    if (!state.initialized && call.name !== "C_Initialize") {
      return encodeError(CKR.CRYPTOKI_NOT_INITIALIZED);
    }
    const scrub: Uint8Array[] = [];
    try {
      return encodeResponse(call, await handler(this.#context(state, scrub), args));
    } catch (err) {
      if (err instanceof Pkcs11Error && err.rv !== CKR.OK) {
        this.#log?.log("debug", "pkcs11 call failed", { call: call.name, rv: rvName(err.rv) });
        return encodeError(err.rv);
      }
      this.#log?.log("error", "pkcs11 call raised an unexpected error", {
        call: call.name,
        error: err instanceof Error ? err.name : typeof err,
      });
      return encodeError(CKR.GENERAL_ERROR);
    } finally {
      wipe(...scrub);
    }
  }

  #context(state: ClientState, scrub: Uint8Array[]): CallContext {
    const backend = this.#backend;
    return {
      state,
      backend,
      serial: this.#serial,
      maxRandomBytes: this.#maxRandomBytes,
      log: this.#log,
      scrub: (...buffers) => scrub.push(...buffers),
      async withLogin(fn) {
        const credential = state.credential;
        if (credential === undefined) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
        try {
          return await fn(credential);
        } catch (err) {
          if (
            err instanceof Pkcs11Error && err.rv === CKR.USER_NOT_LOGGED_IN &&
            !credential.renewable && state.credential === credential
          ) {
            state.logout();
          }
          throw err;
        }
      },
    };
  }
}
