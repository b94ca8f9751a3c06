/**
 * The call table of p11-kit's RPC protocol version 0: each call id with its PKCS#11
 * function name and the signatures of its request and response. A signature is a
 * string of codes: `y` byte, `u` CK_ULONG, `s` space-padded string, `v` CK_VERSION,
 * `z` string, `M` mechanism, `ay`/`au`/`aA` byte, ulong and attribute arrays, and
 * `fy`/`fu`/`fA` "buffer" codes by which the caller says how much room it has.
 * Pure data; the order of the table is the wire's call id.
 */

/** One RPC call. */
export interface RpcCall {
  readonly id: number;
  readonly name: string;
  /** Request signature (null for the error pseudo-call, which is never a request). */
  readonly request: string | null;
  readonly response: string;
}

const CALLS: readonly (readonly [string, string | null, string])[] = [
  ["ERROR", null, "u"],
  ["C_Initialize", "ayyay", ""],
  ["C_Finalize", "", ""],
  ["C_GetInfo", "", "vsusv"],
  ["C_GetSlotList", "yfu", "au"],
  ["C_GetSlotInfo", "u", "ssuvv"],
  ["C_GetTokenInfo", "u", "ssssuuuuuuuuuuuvvs"],
  ["C_GetMechanismList", "ufu", "au"],
  ["C_GetMechanismInfo", "uu", "uuu"],
  ["C_InitToken", "uayz", ""],
  ["C_OpenSession", "uu", "u"],
  ["C_CloseSession", "u", ""],
  ["C_CloseAllSessions", "u", ""],
  ["C_GetSessionInfo", "u", "uuuu"],
  ["C_InitPIN", "uay", ""],
  ["C_SetPIN", "uayay", ""],
  ["C_GetOperationState", "ufy", "ay"],
  ["C_SetOperationState", "uayuu", ""],
  ["C_Login", "uuay", ""],
  ["C_Logout", "u", ""],
  ["C_CreateObject", "uaA", "u"],
  ["C_CopyObject", "uuaA", "u"],
  ["C_DestroyObject", "uu", ""],
  ["C_GetObjectSize", "uu", "u"],
  ["C_GetAttributeValue", "uufA", "aAu"],
  ["C_SetAttributeValue", "uuaA", ""],
  ["C_FindObjectsInit", "uaA", ""],
  ["C_FindObjects", "ufu", "au"],
  ["C_FindObjectsFinal", "u", ""],
  ["C_EncryptInit", "uMu", ""],
  ["C_Encrypt", "uayfy", "ay"],
  ["C_EncryptUpdate", "uayfy", "ay"],
  ["C_EncryptFinal", "ufy", "ay"],
  ["C_DecryptInit", "uMu", ""],
  ["C_Decrypt", "uayfy", "ay"],
  ["C_DecryptUpdate", "uayfy", "ay"],
  ["C_DecryptFinal", "ufy", "ay"],
  ["C_DigestInit", "uM", ""],
  ["C_Digest", "uayfy", "ay"],
  ["C_DigestUpdate", "uay", ""],
  ["C_DigestKey", "uu", ""],
  ["C_DigestFinal", "ufy", "ay"],
  ["C_SignInit", "uMu", ""],
  ["C_Sign", "uayfy", "ay"],
  ["C_SignUpdate", "uay", ""],
  ["C_SignFinal", "ufy", "ay"],
  ["C_SignRecoverInit", "uMu", ""],
  ["C_SignRecover", "uayfy", "ay"],
  ["C_VerifyInit", "uMu", ""],
  ["C_Verify", "uayay", ""],
  ["C_VerifyUpdate", "uay", ""],
  ["C_VerifyFinal", "uay", ""],
  ["C_VerifyRecoverInit", "uMu", ""],
  ["C_VerifyRecover", "uayfy", "ay"],
  ["C_DigestEncryptUpdate", "uayfy", "ay"],
  ["C_DecryptDigestUpdate", "uayfy", "ay"],
  ["C_SignEncryptUpdate", "uayfy", "ay"],
  ["C_DecryptVerifyUpdate", "uayfy", "ay"],
  ["C_GenerateKey", "uMaA", "u"],
  ["C_GenerateKeyPair", "uMaAaA", "uu"],
  ["C_WrapKey", "uMuufy", "ay"],
  ["C_UnwrapKey", "uMuayaA", "u"],
  ["C_DeriveKey", "uMuaA", "u"],
  ["C_SeedRandom", "uay", ""],
  ["C_GenerateRandom", "ufy", "ay"],
  ["C_WaitForSlotEvent", "u", "u"],
];

/** Every call, indexed by id. */
export const RPC_CALLS: readonly RpcCall[] = Object.freeze(
  CALLS.map(([name, request, response], id) => Object.freeze({ id, name, request, response })),
);

const BY_NAME: ReadonlyMap<string, RpcCall> = new Map(RPC_CALLS.map((c) => [c.name, c]));

/** The call with `id`, or undefined when the id is unknown (or the error pseudo-call). */
export function callById(id: number): RpcCall | undefined {
  return id > 0 && id < RPC_CALLS.length ? RPC_CALLS[id] : undefined;
}

/** The call named `name` (e.g. `C_Sign`). @throws RangeError for an unknown name */
export function callByName(name: string): RpcCall {
  const call = BY_NAME.get(name);
  if (call === undefined) throw new RangeError(`Unknown RPC call ${name}`);
  return call;
}

/** A signature as its codes: `"uayfy"` → `["u", "ay", "fy"]`. */
export function signatureCodes(signature: string): string[] {
  const codes: string[] = [];
  for (let i = 0; i < signature.length; i++) {
    const c = signature[i] as string;
    if (c === "a" || c === "f") {
      codes.push(signature.slice(i, i + 2));
      i++;
    } else {
      codes.push(c);
    }
  }
  return codes;
}
