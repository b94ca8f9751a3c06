/**
 * Key-generation templates → FerroHSM key requests. C_GenerateKeyPair (EC P-256/P-384,
 * RSA 2048–4096 with e = 65537) and C_GenerateKey (HMAC-SHA256 as a generic secret,
 * AES-256) become `NewKey`s: the name from CKA_LABEL (the API's name rules), usages
 * from the algorithm's defaults adjusted by explicit CKA_SIGN/VERIFY/ENCRYPT/DECRYPT/
 * WRAP/UNWRAP values. Session objects and extractable keys are refused with
 * CKR_TEMPLATE_INCONSISTENT. Requests the key cannot honour but that only make it
 * stricter are ignored, because common tools send them by default (pkcs11-tool asks
 * for CKA_DERIVE on EC keys, CKA_SENSITIVE false and CKA_ENCRYPT on generic secrets):
 * the created objects report what they really allow. CKA_ID is ignored (the id is the
 * key id).
 */

import { algorithmInfo } from "../core/algorithms.ts";
import { type Algorithm, type Usage } from "../domain/algorithms.ts";
import { CKA, CKK, CKM, CKO, CKR } from "./constants.ts";
import type { Attribute, AttributeValue } from "./rpc_values.ts";
import { EC_PARAMS } from "./objects.ts";
import { type NewKey, Pkcs11Error } from "./token_backend.ts";

/** Key names as the API accepts them. */
const NAME_RE = /^[\p{L}\p{N} ._:/@-]{1,128}$/u;

type Template = ReadonlyMap<number, AttributeValue>;

function inconsistent(): Pkcs11Error {
  return new Pkcs11Error(CKR.TEMPLATE_INCONSISTENT);
}

/** A template as a map; an attribute given twice with different values is inconsistent. */
export function readTemplate(attributes: readonly Attribute[]): Template {
  const map = new Map<number, AttributeValue>();
  for (const attr of attributes) {
    if (attr.value === undefined) throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
    const seen = map.get(attr.type);
    if (seen !== undefined && !same(seen, attr.value)) throw inconsistent();
    map.set(attr.type, attr.value);
  }
  return map;
}

function same(a: AttributeValue, b: AttributeValue): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

function flag(template: Template, type: number): boolean | undefined {
  const v = template.get(type);
  if (v === undefined) return undefined;
  if (typeof v !== "number") throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
  return v !== 0;
}

function ulong(template: Template, type: number): number | undefined {
  const v = template.get(type);
  if (v === undefined) return undefined;
  if (typeof v !== "number") throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
  return v;
}

function bytes(template: Template, type: number): Uint8Array | undefined {
  const v = template.get(type);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
  return v;
}

/** Refuses session objects, extractable keys, and a class or key type other than `cls`/`keyTypes`. */
function checkCommon(template: Template, cls: number, keyTypes: readonly number[]): void {
  if (flag(template, CKA.TOKEN) === false) throw inconsistent();
  if (flag(template, CKA.EXTRACTABLE) === true) throw inconsistent();
  flag(template, CKA.SENSITIVE); // type-checked; a false value is ignored (keys stay sensitive)
  flag(template, CKA.DERIVE); // type-checked; FerroHSM keys never derive
  const c = ulong(template, CKA.CLASS);
  if (c !== undefined && c !== cls) throw inconsistent();
  const k = ulong(template, CKA.KEY_TYPE);
  if (k !== undefined && !keyTypes.includes(k)) throw inconsistent();
}

function keyName(...templates: Template[]): string {
  for (const t of templates) {
    const label = bytes(t, CKA.LABEL);
    if (label === undefined) continue;
    let name: string;
    try {
      name = new TextDecoder("utf-8", { fatal: true }).decode(label);
    } catch {
      throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
    }
    if (!NAME_RE.test(name)) throw new Pkcs11Error(CKR.ATTRIBUTE_VALUE_INVALID);
    return name;
  }
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(4)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `pkcs11-${suffix}`;
}

/** [attribute, template index, usage]: explicit values adjust the algorithm's defaults. */
type UsageRule = readonly [number, number, Usage];

function usages(algorithm: Algorithm, templates: Template[], rules: readonly UsageRule[]) {
  const info = algorithmInfo(algorithm);
  if (info === undefined) throw new TypeError(`Unknown algorithm ${algorithm}`);
  const chosen = new Set<Usage>(info.defaultUsages);
  for (const [type, index, usage] of rules) {
    const value = flag(templates[index] as Template, type);
    if (value === true) {
      if (info.usages.includes(usage)) chosen.add(usage); // else: not possible, ignored
    } else if (value === false) {
      chosen.delete(usage);
    }
  }
  if (chosen.size === 0) throw inconsistent();
  return info.usages.filter((u) => chosen.has(u)); // registry order
}

const PAIR_RULES: readonly UsageRule[] = [
  [CKA.SIGN, 1, "sign"],
  [CKA.DECRYPT, 1, "decrypt"],
  [CKA.UNWRAP, 1, "unwrap"],
  [CKA.VERIFY, 0, "verify"],
  [CKA.ENCRYPT, 0, "encrypt"],
  [CKA.WRAP, 0, "wrap"],
];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The key a C_GenerateKeyPair call asks for.
 * @throws Pkcs11Error (TEMPLATE_INCOMPLETE, TEMPLATE_INCONSISTENT, CURVE_NOT_SUPPORTED,
 *   KEY_SIZE_RANGE, ATTRIBUTE_VALUE_INVALID, MECHANISM_INVALID)
 */
export function keyPairRequest(
  mechanism: number,
  publicAttrs: readonly Attribute[],
  privateAttrs: readonly Attribute[],
): NewKey {
  const pub = readTemplate(publicAttrs);
  const priv = readTemplate(privateAttrs);
  let algorithm: Algorithm;
  if (mechanism === CKM.EC_KEY_PAIR_GEN) {
    checkCommon(pub, CKO.PUBLIC_KEY, [CKK.EC]);
    checkCommon(priv, CKO.PRIVATE_KEY, [CKK.EC]);
    const params = bytes(pub, CKA.EC_PARAMS) ?? bytes(priv, CKA.EC_PARAMS);
    if (params === undefined) throw new Pkcs11Error(CKR.TEMPLATE_INCOMPLETE);
    const curve = (["EC-P256", "EC-P384"] as const).find((a) => sameBytes(EC_PARAMS[a], params));
    if (curve === undefined) throw new Pkcs11Error(CKR.CURVE_NOT_SUPPORTED);
    algorithm = curve;
  } else if (mechanism === CKM.RSA_PKCS_KEY_PAIR_GEN) {
    checkCommon(pub, CKO.PUBLIC_KEY, [CKK.RSA]);
    checkCommon(priv, CKO.PRIVATE_KEY, [CKK.RSA]);
    const bits = ulong(pub, CKA.MODULUS_BITS);
    if (bits === undefined) throw new Pkcs11Error(CKR.TEMPLATE_INCOMPLETE);
    const named = `RSA-${bits}`;
    if (named !== "RSA-2048" && named !== "RSA-3072" && named !== "RSA-4096") {
      throw new Pkcs11Error(CKR.KEY_SIZE_RANGE);
    }
    const e = bytes(pub, CKA.PUBLIC_EXPONENT);
    if (e !== undefined) {
      const first = e.findIndex((b) => b !== 0);
      const trimmed = first < 0 ? new Uint8Array(0) : e.subarray(first);
      if (!sameBytes(trimmed, Uint8Array.of(1, 0, 1))) throw inconsistent();
    }
    algorithm = named;
  } else {
    throw new Pkcs11Error(CKR.MECHANISM_INVALID);
  }
  return {
    name: keyName(priv, pub),
    algorithm,
    usage: usages(algorithm, [pub, priv], PAIR_RULES),
  };
}

/**
 * The key a C_GenerateKey call asks for (HMAC-SHA256 or AES-256, 32 bytes).
 * @throws Pkcs11Error (TEMPLATE_INCONSISTENT, KEY_SIZE_RANGE, ATTRIBUTE_VALUE_INVALID,
 *   MECHANISM_INVALID)
 */
export function secretKeyRequest(mechanism: number, attrs: readonly Attribute[]): NewKey {
  const t = readTemplate(attrs);
  let algorithm: Algorithm;
  let rules: UsageRule[];
  if (mechanism === CKM.GENERIC_SECRET_KEY_GEN) {
    checkCommon(t, CKO.SECRET_KEY, [CKK.GENERIC_SECRET, CKK.SHA256_HMAC]);
    algorithm = "HMAC-SHA256";
    rules = [];
    if (flag(t, CKA.SIGN) === false && flag(t, CKA.VERIFY) === false) throw inconsistent();
  } else if (mechanism === CKM.AES_KEY_GEN) {
    checkCommon(t, CKO.SECRET_KEY, [CKK.AES]);
    algorithm = "AES-256-GCM";
    rules = [
      [CKA.ENCRYPT, 0, "encrypt"],
      [CKA.DECRYPT, 0, "decrypt"],
      [CKA.WRAP, 0, "wrap"],
      [CKA.UNWRAP, 0, "unwrap"],
    ];
  } else {
    throw new Pkcs11Error(CKR.MECHANISM_INVALID);
  }
  const length = ulong(t, CKA.VALUE_LEN);
  if (length !== undefined && length !== 32) throw new Pkcs11Error(CKR.KEY_SIZE_RANGE);
  return { name: keyName(t), algorithm, usage: usages(algorithm, [t], rules) };
}
