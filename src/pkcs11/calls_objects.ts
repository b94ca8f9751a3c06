/**
 * RPC calls about objects: C_FindObjects*, C_GetAttributeValue, C_GenerateKeyPair,
 * C_GenerateKey and C_DestroyObject. Every object is private, so nothing is found
 * before login. Public-key attributes are fetched once per key version and connection.
 * C_DestroyObject never destroys at once: it opens FerroHSM's destruction approval and
 * answers CKR_FUNCTION_REJECTED; once approvers have executed it the objects vanish.
 */

import { CKO, CKR } from "./constants.ts";
import { type CallContext, type CallHandler } from "./call_context.ts";
import { mechanismSpec } from "./mechanisms.ts";
import {
  type AttributeAnswer,
  attributeOf,
  INVALID,
  type KeyClass,
  keyClasses,
  matchesTemplate,
  NEEDS_PUBLIC_KEY,
  SENSITIVE,
} from "./objects.ts";
import { ULONG_SIZE } from "./rpc_codec.ts";
import { attributeKind, type AttributeReply } from "./rpc_values.ts";
import type { Session } from "./sessions.ts";
import { keyPairRequest, secretKeyRequest } from "./templates.ts";
import {
  Pkcs11Error,
  type TokenCredential,
  type TokenKey,
  type TokenPublicKey,
} from "./token_backend.ts";

async function publicKeyOf(
  ctx: CallContext,
  credential: TokenCredential,
  key: TokenKey,
): Promise<TokenPublicKey> {
  const cached = ctx.state.objects.publicKey(key);
  if (cached !== undefined) return cached;
  const pub = await ctx.backend.publicKey(credential, key);
  ctx.state.objects.setPublicKey(key, pub);
  return pub;
}

const findObjectsInit: CallHandler = async (ctx, args) => {
  const session = ctx.state.session(args.ulong(0));
  const template = args.attributes(1);
  if (session.find !== undefined) throw new Pkcs11Error(CKR.OPERATION_ACTIVE);
  if (ctx.state.credential === undefined) {
    session.find = { handles: [], at: 0 };
    return [];
  }
  const handles = await ctx.withLogin(async (credential) => {
    const found: number[] = [];
    for (const key of await ctx.backend.listKeys(credential)) {
      ctx.state.objects.updateKey(key);
      for (const cls of keyClasses(key)) {
        let match = matchesTemplate(key, cls, template);
        if (match === NEEDS_PUBLIC_KEY) {
          match = matchesTemplate(key, cls, template, await publicKeyOf(ctx, credential, key));
        }
        if (match === true) found.push(ctx.state.objects.handleFor(key, cls));
      }
    }
    return found;
  });
  session.find = { handles, at: 0 };
  return [];
};

const findObjects: CallHandler = (ctx, args) => {
  const session = ctx.state.session(args.ulong(0));
  const find = session.find;
  if (find === undefined) throw new Pkcs11Error(CKR.OPERATION_NOT_INITIALIZED);
  const batch = find.handles.slice(find.at, find.at + args.ulong(1));
  find.at += batch.length;
  return [batch];
};

const findObjectsFinal: CallHandler = (ctx, args) => {
  const session = ctx.state.session(args.ulong(0));
  if (session.find === undefined) throw new Pkcs11Error(CKR.OPERATION_NOT_INITIALIZED);
  session.find = undefined;
  return [];
};

/** The size of an attribute value on the client (what `ulValueLen` reports). */
function valueLength(type: number, value: Exclude<AttributeAnswer, symbol>): number {
  const kind = attributeKind(type);
  if (kind === "byte") return 1;
  if (kind === "ulong") return ULONG_SIZE;
  if (Array.isArray(value)) return value.length * ULONG_SIZE;
  return (value as Uint8Array).length;
}

const RV_ORDER = [CKR.ATTRIBUTE_SENSITIVE, CKR.ATTRIBUTE_TYPE_INVALID, CKR.BUFFER_TOO_SMALL];

const getAttributeValue: CallHandler = async (ctx, args) => {
  ctx.state.session(args.ulong(0));
  const ref = ctx.state.objects.get(args.ulong(1));
  const requests = args.attributeRequests(2);
  if (ctx.state.credential === undefined) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
  const key = ctx.state.objects.key(ref.keyId);
  if (key === undefined || keyClasses(key).length === 0) {
    throw new Pkcs11Error(CKR.OBJECT_HANDLE_INVALID);
  }
  let pub: TokenPublicKey | undefined;
  const seen = new Set<number>();
  const replies: AttributeReply[] = [];
  for (const { type, length } of requests) {
    let answer = attributeOf(key, ref.cls, type, pub);
    if (answer === NEEDS_PUBLIC_KEY) {
      pub = await ctx.withLogin((credential) => publicKeyOf(ctx, credential, key));
      answer = attributeOf(key, ref.cls, type, pub);
    }
    if (answer === SENSITIVE || answer === INVALID || answer === NEEDS_PUBLIC_KEY) {
      seen.add(answer === SENSITIVE ? CKR.ATTRIBUTE_SENSITIVE : CKR.ATTRIBUTE_TYPE_INVALID);
      replies.push({ type });
      continue;
    }
    const size = valueLength(type, answer);
    if (length === 0) {
      replies.push(
        attributeKind(type) === "mechanisms" ? { type, value: answer } : { type, length: size },
      );
    } else if (length < size) {
      seen.add(CKR.BUFFER_TOO_SMALL);
      replies.push({ type });
    } else {
      replies.push({ type, value: answer });
    }
  }
  return [replies, RV_ORDER.find((rv) => seen.has(rv)) ?? CKR.OK];
};

function writableSession(ctx: CallContext, handle: number): Session {
  const session = ctx.state.session(handle);
  if (!session.rw) throw new Pkcs11Error(CKR.SESSION_READ_ONLY);
  return session;
}

function keygenSpec(type: number, pair: boolean) {
  const spec = mechanismSpec(type);
  const family = spec?.family;
  if (spec?.scheme !== "keygen" || (family === "ec" || family === "rsa") !== pair) {
    throw new Pkcs11Error(CKR.MECHANISM_INVALID);
  }
  return spec;
}

const generateKeyPair: CallHandler = async (ctx, args) => {
  writableSession(ctx, args.ulong(0));
  const mechanism = args.mechanism(1);
  keygenSpec(mechanism.type, true);
  const request = keyPairRequest(mechanism.type, args.attributes(2), args.attributes(3));
  const key = await ctx.withLogin((credential) => ctx.backend.createKey(credential, request));
  ctx.log?.log("info", "pkcs11 key pair generated", { key_id: key.id, algorithm: key.algorithm });
  return [
    ctx.state.objects.handleFor(key, CKO.PUBLIC_KEY),
    ctx.state.objects.handleFor(key, CKO.PRIVATE_KEY),
  ];
};

const generateKey: CallHandler = async (ctx, args) => {
  writableSession(ctx, args.ulong(0));
  const mechanism = args.mechanism(1);
  keygenSpec(mechanism.type, false);
  const request = secretKeyRequest(mechanism.type, args.attributes(2));
  const key = await ctx.withLogin((credential) => ctx.backend.createKey(credential, request));
  ctx.log?.log("info", "pkcs11 secret key generated", { key_id: key.id, algorithm: key.algorithm });
  return [ctx.state.objects.handleFor(key, CKO.SECRET_KEY as KeyClass)];
};

const destroyObject: CallHandler = async (ctx, args) => {
  writableSession(ctx, args.ulong(0));
  const ref = ctx.state.objects.get(args.ulong(1));
  const key = ctx.state.objects.key(ref.keyId);
  if (key === undefined || keyClasses(key).length === 0) {
    throw new Pkcs11Error(CKR.OBJECT_HANDLE_INVALID);
  }
  const approval = await ctx.withLogin((credential) =>
    ctx.backend.requestDestroy(credential, ref.keyId)
  );
  ctx.log?.log("info", "pkcs11 destruction requested: awaiting approval", {
    key_id: ref.keyId,
    approval_id: approval,
  });
  throw new Pkcs11Error(CKR.FUNCTION_REJECTED, "Destruction awaits approval");
};

/** The handlers of this module by call name. */
export const objectCalls: ReadonlyMap<string, CallHandler> = new Map([
  ["C_FindObjectsInit", findObjectsInit],
  ["C_FindObjects", findObjects],
  ["C_FindObjectsFinal", findObjectsFinal],
  ["C_GetAttributeValue", getAttributeValue],
  ["C_GenerateKeyPair", generateKeyPair],
  ["C_GenerateKey", generateKey],
  ["C_DestroyObject", destroyObject],
]);
