/**
 * What every RPC call handler works with: the connection's state, the token backend,
 * the token's identity and limits, and the login guard. Shared by the dispatcher and
 * the `calls_*.ts` handler modules (kept apart so they do not import each other).
 */

import type { Logger } from "../util/logger.ts";
import type { LengthOnly, RpcArgs, RpcValue } from "./rpc_message.ts";
import type { ClientState } from "./sessions.ts";
import type { TokenBackend, TokenCredential } from "./token_backend.ts";

/** The slot id of the one slot. */
export const SLOT_ID = 1;

/** What a call handler works with. */
export interface CallContext {
  readonly state: ClientState;
  readonly backend: TokenBackend;
  /** The token serial number (the installation id). */
  readonly serial: string;
  readonly maxRandomBytes: number;
  readonly log: Logger | undefined;
  /**
   * Runs `fn` with the logged-in credential. A credential the backend no longer accepts
   * logs the application out unless it is renewable (a token file).
   * @throws Pkcs11Error(CKR_USER_NOT_LOGGED_IN) when nobody is logged in
   */
  withLogin<T>(fn: (credential: TokenCredential) => Promise<T>): Promise<T>;
  /** Buffers to wipe once the response has been encoded (results such as plaintexts). */
  scrub(...buffers: Uint8Array[]): void;
}

/** A call's implementation: the response values in signature order. */
export type CallHandler = (ctx: CallContext, args: RpcArgs) => RpcValue[] | Promise<RpcValue[]>;

/** The reply to an `fy`/`fu` buffer: the data, or only its length (size query, too small). */
export function bufferReply<T extends { length: number }>(
  capacity: number,
  data: T,
): T | LengthOnly {
  return capacity === 0 || capacity < data.length ? { lengthOnly: data.length } : data;
}
