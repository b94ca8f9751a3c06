/**
 * RPC calls of cryptographic operations: C_SignInit/C_Sign/C_SignUpdate/C_SignFinal,
 * the C_Verify* family, and single-part C_Encrypt/C_Decrypt with RSA-OAEP. Init checks
 * the mechanism, the key's family and object class and its usage flag; the operation
 * then runs through the backend (RBAC, audit, rate limit). Buffer rules follow PKCS#11:
 * a size query or a too-small buffer keeps the operation active, and a result computed
 * for a too-small buffer is kept (then wiped) for the retry; any other error ends it.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import { CKA, CKO, CKR } from "./constants.ts";
import { type CallContext, type CallHandler } from "./call_context.ts";
import { canSign, checkParams, mechanismSpec, signInput } from "./mechanisms.ts";
import { attributeOf, tokenFamily } from "./objects.ts";
import type { LengthOnly, RpcValue } from "./rpc_message.ts";
import { type ActiveOperation, joinParts, type Session } from "./sessions.ts";
import { Pkcs11Error, type SignInput, type TokenKey } from "./token_backend.ts";
import { wipe } from "../core/zeroize.ts";

type Kind = ActiveOperation["kind"];

/** Which object classes and which usage attribute each operation needs. */
const NEEDS: Readonly<Record<Kind, { classes: readonly number[]; attribute: number }>> = {
  sign: { classes: [CKO.PRIVATE_KEY, CKO.SECRET_KEY], attribute: CKA.SIGN },
  verify: { classes: [CKO.PUBLIC_KEY, CKO.SECRET_KEY], attribute: CKA.VERIFY },
  encrypt: { classes: [CKO.PUBLIC_KEY], attribute: CKA.ENCRYPT },
  decrypt: { classes: [CKO.PRIVATE_KEY], attribute: CKA.DECRYPT },
};

function keyOf(ctx: CallContext, op: ActiveOperation): TokenKey {
  const key = ctx.state.objects.key(op.object.keyId);
  if (key === undefined) throw new Pkcs11Error(CKR.KEY_HANDLE_INVALID);
  return key;
}

/** Signature (or ciphertext) length of a key: the EC r‖s size, the RSA modulus, the HMAC tag. */
function outputLength(key: TokenKey): number {
  const bits = algorithmInfo(key.algorithm)?.bits ?? 256;
  if (key.algorithm === "EC-P256") return 64;
  if (key.algorithm === "EC-P384") return 96;
  return bits / 8;
}

function init(kind: Kind): CallHandler {
  return (ctx, args) => {
    const session = ctx.state.session(args.ulong(0));
    const mechanism = args.mechanism(1);
    if (session.op !== undefined) throw new Pkcs11Error(CKR.OPERATION_ACTIVE);
    if (ctx.state.credential === undefined) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
    const object = ctx.state.objects.get(args.ulong(2), CKR.KEY_HANDLE_INVALID);
    const key = ctx.state.objects.key(object.keyId);
    if (key === undefined) throw new Pkcs11Error(CKR.KEY_HANDLE_INVALID);
    const spec = mechanismSpec(mechanism.type);
    const cipher = kind === "encrypt" || kind === "decrypt";
    if (
      spec === undefined || spec.scheme === "keygen" || (spec.scheme === "rsa-oaep") !== cipher ||
      (kind === "sign" && !canSign(spec))
    ) {
      throw new Pkcs11Error(CKR.MECHANISM_INVALID);
    }
    if (spec.family !== tokenFamily(key.algorithm)) {
      throw new Pkcs11Error(CKR.KEY_TYPE_INCONSISTENT);
    }
    const needs = NEEDS[kind];
    if (!needs.classes.includes(object.cls)) throw new Pkcs11Error(CKR.KEY_TYPE_INCONSISTENT);
    if (attributeOf(key, object.cls, needs.attribute) !== 1) {
      throw new Pkcs11Error(CKR.KEY_FUNCTION_NOT_PERMITTED);
    }
    const { hash, label } = checkParams(spec, mechanism);
    session.op = {
      kind,
      spec,
      object,
      ...(hash === undefined ? {} : { pssHash: hash }),
      ...(label === undefined ? {} : { label }),
      parts: [],
      partBytes: 0,
      multipart: false,
    };
    return [];
  };
}

function active(ctx: CallContext, handle: number, kind: Kind): [Session, ActiveOperation] {
  const session = ctx.state.session(handle);
  const op = session.op;
  if (op === undefined || op.kind !== kind) throw new Pkcs11Error(CKR.OPERATION_NOT_INITIALIZED);
  return [session, op];
}

function inputOf(key: TokenKey, op: ActiveOperation, data: Uint8Array): SignInput {
  return signInput(op.spec, data, {
    curveBytes: key.algorithm === "EC-P384" ? 48 : 32,
    ...(op.pssHash === undefined ? {} : { pssHash: op.pssHash }),
  });
}

/**
 * Ends a single-part call: answers a size query (or a buffer below an exact `expected`)
 * without computing, computes once, keeps a result too large for the buffer for the
 * retry, and ends the operation when the result is delivered or on an error.
 */
async function deliver(
  ctx: CallContext,
  session: Session,
  op: ActiveOperation,
  capacity: number,
  expected: { readonly length: number; readonly exact: boolean },
  compute: () => Promise<Uint8Array>,
): Promise<RpcValue[]> {
  let result = op.pending;
  if (result === undefined) {
    if (capacity === 0 || (expected.exact && capacity < expected.length)) {
      return [{ lengthOnly: expected.length } satisfies LengthOnly];
    }
    try {
      result = await compute();
    } catch (err) {
      ctx.state.endOperation(session);
      throw err;
    }
  }
  if (capacity < result.length) {
    op.pending = result;
    return [{ lengthOnly: result.length }];
  }
  op.pending = undefined;
  ctx.state.endOperation(session);
  ctx.scrub(result);
  return [result];
}

function oneShot<T>(ctx: CallContext, session: Session, fn: () => Promise<T>): Promise<T> {
  return fn().finally(() => ctx.state.endOperation(session));
}

function update(kind: "sign" | "verify"): CallHandler {
  return (ctx, args) => {
    const [session, op] = active(ctx, args.ulong(0), kind);
    if (!op.spec.multipart) {
      ctx.state.endOperation(session);
      throw new Pkcs11Error(CKR.MECHANISM_INVALID);
    }
    try {
      ctx.state.appendPart(op, args.bytes(1).bytes ?? new Uint8Array(0));
    } catch (err) {
      ctx.state.endOperation(session);
      throw err;
    }
    return [];
  };
}

function signWith(ctx: CallContext, op: ActiveOperation, key: TokenKey, data: Uint8Array) {
  const input = inputOf(key, op, data);
  return ctx.withLogin((credential) => ctx.backend.sign(credential, key.id, input));
}

const sign: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "sign");
  if (op.multipart) throw new Pkcs11Error(CKR.OPERATION_ACTIVE);
  const key = keyOf(ctx, op);
  const data = args.bytes(1).bytes ?? new Uint8Array(0);
  return deliver(
    ctx,
    session,
    op,
    args.ulong(2),
    { length: outputLength(key), exact: true },
    () => signWith(ctx, op, key, data),
  );
};

const signFinal: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "sign");
  const key = keyOf(ctx, op);
  if (!op.spec.multipart) {
    ctx.state.endOperation(session);
    throw new Pkcs11Error(CKR.MECHANISM_INVALID);
  }
  return deliver(
    ctx,
    session,
    op,
    args.ulong(1),
    { length: outputLength(key), exact: true },
    async () => {
      const data = joinParts(op);
      try {
        return await signWith(ctx, op, key, data);
      } finally {
        wipe(data);
      }
    },
  );
};

async function checkSignature(
  ctx: CallContext,
  op: ActiveOperation,
  key: TokenKey,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<[]> {
  if (signature.length !== outputLength(key)) throw new Pkcs11Error(CKR.SIGNATURE_LEN_RANGE);
  const input = inputOf(key, op, data);
  const valid = await ctx.withLogin((credential) =>
    ctx.backend.verify(credential, key.id, input, signature)
  );
  if (!valid) throw new Pkcs11Error(CKR.SIGNATURE_INVALID);
  return [];
}

const verify: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "verify");
  const key = keyOf(ctx, op);
  const data = args.bytes(1).bytes ?? new Uint8Array(0);
  const signature = args.bytes(2).bytes ?? new Uint8Array(0);
  return oneShot(ctx, session, () => {
    if (op.multipart) throw new Pkcs11Error(CKR.OPERATION_ACTIVE);
    return checkSignature(ctx, op, key, data, signature);
  });
};

const verifyFinal: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "verify");
  const key = keyOf(ctx, op);
  const signature = args.bytes(1).bytes ?? new Uint8Array(0);
  return oneShot(ctx, session, async () => {
    if (!op.spec.multipart) throw new Pkcs11Error(CKR.MECHANISM_INVALID);
    const data = joinParts(op);
    try {
      return await checkSignature(ctx, op, key, data, signature);
    } finally {
      wipe(data);
    }
  });
};

const encrypt: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "encrypt");
  const key = keyOf(ctx, op);
  const plaintext = args.bytes(1).bytes ?? new Uint8Array(0);
  const length = outputLength(key);
  return deliver(ctx, session, op, args.ulong(2), { length, exact: true }, () => {
    if (plaintext.length > length - 2 * 32 - 2) throw new Pkcs11Error(CKR.DATA_LEN_RANGE);
    return ctx.withLogin((credential) =>
      ctx.backend.encrypt(credential, key.id, plaintext, op.label)
    );
  });
};

const decrypt: CallHandler = (ctx, args) => {
  const [session, op] = active(ctx, args.ulong(0), "decrypt");
  const key = keyOf(ctx, op);
  const ciphertext = args.bytes(1).bytes ?? new Uint8Array(0);
  const length = outputLength(key);
  return deliver(ctx, session, op, args.ulong(2), { length, exact: false }, () => {
    if (ciphertext.length !== length) throw new Pkcs11Error(CKR.ENCRYPTED_DATA_LEN_RANGE);
    return ctx.withLogin((credential) =>
      ctx.backend.decrypt(credential, key.id, ciphertext, op.label)
    );
  });
};

/** Multi-part encryption and decryption: no mechanism of the token supports them. */
function cipherPart(kind: "encrypt" | "decrypt"): CallHandler {
  return (ctx, args) => {
    const [session] = active(ctx, args.ulong(0), kind);
    ctx.state.endOperation(session);
    throw new Pkcs11Error(CKR.FUNCTION_NOT_SUPPORTED);
  };
}

/** The handlers of this module by call name. */
export const cryptoCalls: ReadonlyMap<string, CallHandler> = new Map([
  ["C_SignInit", init("sign")],
  ["C_Sign", sign],
  ["C_SignUpdate", update("sign")],
  ["C_SignFinal", signFinal],
  ["C_VerifyInit", init("verify")],
  ["C_Verify", verify],
  ["C_VerifyUpdate", update("verify")],
  ["C_VerifyFinal", verifyFinal],
  ["C_EncryptInit", init("encrypt")],
  ["C_Encrypt", encrypt],
  ["C_EncryptUpdate", cipherPart("encrypt")],
  ["C_EncryptFinal", cipherPart("encrypt")],
  ["C_DecryptInit", init("decrypt")],
  ["C_Decrypt", decrypt],
  ["C_DecryptUpdate", cipherPart("decrypt")],
  ["C_DecryptFinal", cipherPart("decrypt")],
]);
