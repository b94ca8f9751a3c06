/**
 * Structured values of p11-kit's RPC protocol: attributes, whose value encoding depends on
 * the attribute type (p11-kit's type → encoding mapping: CK_BBOOL-like types as one byte,
 * CK_ULONG types as 8 bytes, dates, mechanism lists, nested attribute arrays, byte arrays
 * for everything else), and mechanisms, whose parameters are encoded per mechanism
 * (RSA-PSS and RSA-OAEP structures, a plain byte array for every other one). Decoding
 * is bounds-checked through `RpcReader`; nesting is limited to one level.
 */

import { CKA, CKM } from "./constants.ts";
import {
  ATTRIBUTE_STRUCT_SIZE,
  RpcProtocolError,
  type RpcReader,
  type RpcWriter,
  ULONG_SIZE,
} from "./rpc_codec.ts";

/** How an attribute's value is encoded, by attribute type (p11-kit's mapping). */
export type AttributeKind = "byte" | "ulong" | "bytes" | "date" | "mechanisms" | "attributes";

// deno-fmt-ignore
const BYTE_TYPES = new Set<number>([
  CKA.TOKEN, CKA.PRIVATE, CKA.TRUSTED, CKA.SENSITIVE, CKA.ENCRYPT, CKA.DECRYPT, CKA.WRAP,
  CKA.UNWRAP, CKA.SIGN, CKA.SIGN_RECOVER, CKA.VERIFY, CKA.VERIFY_RECOVER, CKA.DERIVE,
  CKA.EXTRACTABLE, CKA.LOCAL, CKA.NEVER_EXTRACTABLE, CKA.ALWAYS_SENSITIVE, CKA.MODIFIABLE,
  CKA.COPYABLE, 0x200 /* SECONDARY_AUTH */, CKA.ALWAYS_AUTHENTICATE, CKA.WRAP_WITH_TRUSTED,
  0x301 /* RESET_ON_INIT */, 0x302 /* HAS_RESET */, 0x405 /* COLOR */,
]);

// deno-fmt-ignore
const ULONG_TYPES = new Set<number>([
  CKA.CLASS, 0x80 /* CERTIFICATE_TYPE */, 0x87 /* CERTIFICATE_CATEGORY */,
  0x88 /* JAVA_MIDP_SECURITY_DOMAIN */, CKA.KEY_TYPE, CKA.MODULUS_BITS, 0x133 /* PRIME_BITS */,
  0x134 /* SUB_PRIME_BITS */, CKA.VALUE_BITS, CKA.VALUE_LEN, CKA.KEY_GEN_MECHANISM,
  0x201 /* AUTH_PIN_FLAGS */, 0x300 /* HW_FEATURE_TYPE */, 0x400 /* PIXEL_X */,
  0x401 /* PIXEL_Y */, 0x402 /* RESOLUTION */, 0x403 /* CHAR_ROWS */, 0x404 /* CHAR_COLUMNS */,
  0x406 /* BITS_PER_PIXEL */, 0x500 /* MECHANISM_TYPE */,
]);

/** The wire encoding of `type`'s value; unknown types are byte arrays, as in p11-kit. */
export function attributeKind(type: number): AttributeKind {
  if (BYTE_TYPES.has(type)) return "byte";
  if (ULONG_TYPES.has(type)) return "ulong";
  if (type === CKA.WRAP_TEMPLATE || type === CKA.UNWRAP_TEMPLATE) return "attributes";
  if (type === CKA.ALLOWED_MECHANISMS) return "mechanisms";
  if (type === CKA.START_DATE || type === CKA.END_DATE) return "date";
  return "bytes";
}

/** A decoded attribute value: byte and ulong kinds as numbers. */
export type AttributeValue = number | Uint8Array | readonly number[] | readonly Attribute[];

/** An attribute of a template; `value` undefined when the sender marked it unavailable. */
export interface Attribute {
  readonly type: number;
  readonly value?: AttributeValue;
}

/**
 * An attribute of a reply: with `value`, the value; with only `length`, a size answer
 * (the value is not sent); with neither, unavailable (sensitive, invalid or too small).
 */
export interface AttributeReply {
  readonly type: number;
  readonly value?: AttributeValue;
  readonly length?: number;
}

/** Reads one attribute (`u32 type ‖ validity ‖ [u32 length ‖ value]`); nesting ≤ `depth`. */
export function readAttribute(reader: RpcReader, depth = 1): Attribute {
  const type = reader.uint32();
  const validity = reader.byte();
  if (validity === 0) return { type };
  if (validity !== 1) throw new RpcProtocolError("Invalid attribute validity byte");
  const declared = reader.uint32();
  const kind = attributeKind(type);
  let value: AttributeValue;
  let decoded: number;
  switch (kind) {
    case "byte":
      value = reader.byte();
      decoded = 1;
      break;
    case "ulong":
      value = reader.ulong();
      decoded = ULONG_SIZE;
      break;
    case "mechanisms": {
      const n = reader.count(8, "mechanism");
      const list: number[] = [];
      for (let i = 0; i < n; i++) list.push(reader.ulong());
      value = list;
      decoded = n * ULONG_SIZE;
      break;
    }
    case "attributes": {
      if (depth <= 0) throw new RpcProtocolError("Nested attribute arrays are not supported");
      const n = reader.count(5, "attribute");
      const list: Attribute[] = [];
      for (let i = 0; i < n; i++) list.push(readAttribute(reader, depth - 1));
      value = list;
      decoded = n * ATTRIBUTE_STRUCT_SIZE;
      break;
    }
    case "date": {
      const bytes = reader.byteArray() ?? new Uint8Array(0);
      if (bytes.length !== 0 && bytes.length !== 8) throw new RpcProtocolError("Invalid date");
      value = bytes;
      decoded = bytes.length;
      break;
    }
    default: {
      const bytes = reader.byteArray() ?? new Uint8Array(0);
      value = bytes;
      decoded = bytes.length;
    }
  }
  if (decoded > declared) throw new RpcProtocolError("Attribute value longer than declared");
  return { type, value };
}

/** Writes one reply attribute in p11-kit's encoding. */
export function writeAttribute(writer: RpcWriter, attr: AttributeReply): void {
  writer.uint32(attr.type);
  if (attr.value === undefined && attr.length === undefined) {
    writer.byte(0);
    return;
  }
  writer.byte(1);
  const kind = attributeKind(attr.type);
  const value = attr.value;
  switch (kind) {
    case "byte":
      writer.uint32(1).byte(typeof value === "number" ? value : 0);
      return;
    case "ulong":
      writer.uint32(ULONG_SIZE).ulong(typeof value === "number" ? value : 0);
      return;
    case "mechanisms": {
      // Sent in full even for a size answer: the 0.24 client reads the elements either way.
      const list = Array.isArray(value) ? value as readonly number[] : [];
      writer.uint32(list.length * ULONG_SIZE).uint32(list.length);
      for (const m of list) writer.ulong(m);
      return;
    }
    case "attributes": {
      const list = Array.isArray(value) ? value as readonly Attribute[] : [];
      writer.uint32(list.length * ATTRIBUTE_STRUCT_SIZE).uint32(list.length);
      for (const item of list) writeAttribute(writer, item);
      return;
    }
    default: {
      const bytes = value instanceof Uint8Array ? value : undefined;
      if (bytes === undefined) {
        writer.uint32(attr.length ?? 0).byteArray(null);
      } else if (kind === "date" && bytes.length === 0) {
        writer.uint32(0).byteArray(null);
      } else {
        writer.uint32(bytes.length).byteArray(bytes);
      }
    }
  }
}

/** CK_RSA_PKCS_PSS_PARAMS. */
export interface PssParams {
  readonly kind: "pss";
  readonly hashAlg: number;
  readonly mgf: number;
  readonly saltLength: number;
}

/** CK_RSA_PKCS_OAEP_PARAMS; `sourceData` is the label (null when absent). */
export interface OaepParams {
  readonly kind: "oaep";
  readonly hashAlg: number;
  readonly mgf: number;
  readonly source: number;
  readonly sourceData: Uint8Array | null;
}

/** A mechanism and its parameters (raw bytes for mechanisms without a structure). */
export interface Mechanism {
  readonly type: number;
  readonly params: PssParams | OaepParams | Uint8Array | null;
}

const PSS_MECHANISMS = new Set<number>([
  CKM.RSA_PKCS_PSS,
  CKM.SHA256_RSA_PKCS_PSS,
  CKM.SHA384_RSA_PKCS_PSS,
  CKM.SHA512_RSA_PKCS_PSS,
]);

/** Reads `u32 type ‖ parameters`. */
export function readMechanism(reader: RpcReader): Mechanism {
  const type = reader.uint32();
  if (PSS_MECHANISMS.has(type)) {
    return {
      type,
      params: {
        kind: "pss",
        hashAlg: reader.ulong(),
        mgf: reader.ulong(),
        saltLength: reader.ulong(),
      },
    };
  }
  if (type === CKM.RSA_PKCS_OAEP) {
    return {
      type,
      params: {
        kind: "oaep",
        hashAlg: reader.ulong(),
        mgf: reader.ulong(),
        source: reader.ulong(),
        sourceData: reader.byteArray(),
      },
    };
  }
  return { type, params: reader.byteArray() };
}

/** Writes a mechanism as the client does (used by test and benchmark clients). */
export function writeMechanism(writer: RpcWriter, mechanism: Mechanism): void {
  writer.uint32(mechanism.type);
  const p = mechanism.params;
  if (p === null || p instanceof Uint8Array) {
    writer.byteArray(p);
  } else if (p.kind === "pss") {
    writer.ulong(p.hashAlg).ulong(p.mgf).ulong(p.saltLength);
  } else {
    writer.ulong(p.hashAlg).ulong(p.mgf).ulong(p.source).byteArray(p.sourceData);
  }
}
