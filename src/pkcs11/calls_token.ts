/**
 * RPC calls about the library, the slot, the token, mechanisms, sessions and login:
 * C_Initialize … C_GetSessionInfo, C_Login/C_Logout and C_GenerateRandom. One slot
 * holds one token labelled `FerroHSM` whose serial number is the installation id. The
 * PIN is handed to the backend as is and never logged.
 */

import { CK_UNAVAILABLE_INFORMATION, CKF, CKR, CKS, CKU } from "./constants.ts";
import { bufferReply, type CallHandler, SLOT_ID } from "./call_context.ts";
import { MECHANISMS, mechanismSpec } from "./mechanisms.ts";
import { Pkcs11Error } from "./token_backend.ts";

/** The C_Initialize handshake string of protocol version 0. */
export const RPC_HANDSHAKE = "PRIVATE-GNOME-KEYRING-PKCS11-PROTOCOL-V-1";

/** The token label. */
export const TOKEN_LABEL = "FerroHSM";

const ENCODER = new TextEncoder();
const VERSION = Object.freeze({ major: 1, minor: 0 });

/** `text` as a field of `length` bytes padded with spaces (truncated on a character). */
export function spacePadded(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0x20);
  let at = 0;
  for (const ch of text) {
    const bytes = ENCODER.encode(ch);
    if (at + bytes.length > length) break;
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function checkSlot(slot: number): void {
  if (slot !== SLOT_ID) throw new Pkcs11Error(CKR.SLOT_ID_INVALID);
}

const initialize: CallHandler = (ctx, args) => {
  const handshake = args.bytes(0).bytes;
  if (handshake === null || new TextDecoder().decode(handshake) !== RPC_HANDSHAKE) {
    throw new Pkcs11Error(CKR.GENERAL_ERROR, "Cannot initialize: unknown RPC handshake");
  }
  ctx.state.reset();
  ctx.state.initialized = true;
  return [];
};

const finalize: CallHandler = (ctx) => {
  ctx.state.reset();
  return [];
};

const getInfo: CallHandler = () => [
  { major: 2, minor: 40 },
  spacePadded("FerroHSM", 32),
  0,
  spacePadded("FerroHSM via p11-kit RPC", 32),
  VERSION,
];

const getSlotList: CallHandler = (_ctx, args) => [bufferReply(args.ulong(1), [SLOT_ID])];

const getSlotInfo: CallHandler = (_ctx, args) => {
  checkSlot(args.ulong(0));
  return [
    spacePadded("FerroHSM key service", 64),
    spacePadded("FerroHSM", 32),
    CKF.TOKEN_PRESENT,
    VERSION,
    VERSION,
  ];
};

const getTokenInfo: CallHandler = (ctx, args) => {
  checkSlot(args.ulong(0));
  const max = ctx.state.limits.maxSessions;
  return [
    spacePadded(TOKEN_LABEL, 32),
    spacePadded("FerroHSM", 32),
    spacePadded("FerroHSM", 16),
    spacePadded(ctx.serial, 16),
    CKF.RNG | CKF.LOGIN_REQUIRED | CKF.USER_PIN_INITIALIZED | CKF.TOKEN_INITIALIZED,
    max,
    ctx.state.sessionCount,
    max,
    ctx.state.sessionCount,
    8192,
    1,
    CK_UNAVAILABLE_INFORMATION,
    CK_UNAVAILABLE_INFORMATION,
    CK_UNAVAILABLE_INFORMATION,
    CK_UNAVAILABLE_INFORMATION,
    VERSION,
    VERSION,
    spacePadded("", 16),
  ];
};

const getMechanismList: CallHandler = (_ctx, args) => {
  checkSlot(args.ulong(0));
  return [bufferReply(args.ulong(1), MECHANISMS.map((m) => m.type))];
};

const getMechanismInfo: CallHandler = (_ctx, args) => {
  checkSlot(args.ulong(0));
  const spec = mechanismSpec(args.ulong(1));
  if (spec === undefined) throw new Pkcs11Error(CKR.MECHANISM_INVALID);
  return [spec.minKeySize, spec.maxKeySize, spec.flags];
};

const openSession: CallHandler = (ctx, args) => {
  checkSlot(args.ulong(0));
  const flags = args.ulong(1);
  if ((flags & CKF.SERIAL_SESSION) === 0) {
    throw new Pkcs11Error(CKR.SESSION_PARALLEL_NOT_SUPPORTED);
  }
  return [ctx.state.open((flags & CKF.RW_SESSION) !== 0).handle];
};

const closeSession: CallHandler = (ctx, args) => {
  ctx.state.close(args.ulong(0));
  return [];
};

const closeAllSessions: CallHandler = (ctx, args) => {
  checkSlot(args.ulong(0));
  ctx.state.closeAll();
  return [];
};

const getSessionInfo: CallHandler = (ctx, args) => {
  const session = ctx.state.session(args.ulong(0));
  const user = ctx.state.credential !== undefined;
  const state = session.rw
    ? (user ? CKS.RW_USER_FUNCTIONS : CKS.RW_PUBLIC_SESSION)
    : (user ? CKS.RO_USER_FUNCTIONS : CKS.RO_PUBLIC_SESSION);
  const flags = CKF.SERIAL_SESSION | (session.rw ? CKF.RW_SESSION : 0);
  return [SLOT_ID, state, flags, 0];
};

const login: CallHandler = async (ctx, args) => {
  ctx.state.session(args.ulong(0));
  if (args.ulong(1) !== CKU.USER) throw new Pkcs11Error(CKR.USER_TYPE_INVALID);
  if (ctx.state.credential !== undefined) throw new Pkcs11Error(CKR.USER_ALREADY_LOGGED_IN);
  const pin = args.bytes(2).bytes;
  if (pin === null || pin.length === 0) throw new Pkcs11Error(CKR.PIN_INCORRECT);
  const credential = await ctx.backend.login(pin);
  ctx.state.credential = credential;
  ctx.log?.log("info", "pkcs11 login", { subject: credential.subject });
  return [];
};

const logout: CallHandler = (ctx, args) => {
  ctx.state.session(args.ulong(0));
  if (ctx.state.credential === undefined) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
  ctx.state.logout();
  return [];
};

const generateRandom: CallHandler = (ctx, args) => {
  ctx.state.session(args.ulong(0));
  const length = args.ulong(1);
  if (length > ctx.maxRandomBytes) throw new Pkcs11Error(CKR.DATA_LEN_RANGE);
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  }
  return [out];
};

/** The handlers of this module by call name. */
export const tokenCalls: ReadonlyMap<string, CallHandler> = new Map([
  ["C_Initialize", initialize],
  ["C_Finalize", finalize],
  ["C_GetInfo", getInfo],
  ["C_GetSlotList", getSlotList],
  ["C_GetSlotInfo", getSlotInfo],
  ["C_GetTokenInfo", getTokenInfo],
  ["C_GetMechanismList", getMechanismList],
  ["C_GetMechanismInfo", getMechanismInfo],
  ["C_OpenSession", openSession],
  ["C_CloseSession", closeSession],
  ["C_CloseAllSessions", closeAllSessions],
  ["C_GetSessionInfo", getSessionInfo],
  ["C_Login", login],
  ["C_Logout", logout],
  ["C_GenerateRandom", generateRandom],
]);
