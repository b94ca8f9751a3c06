import assert from "node:assert/strict";
import { CKM, CKR } from "../../src/pkcs11/constants.ts";
import { canSign, checkParams, mechanismSpec, signInput } from "../../src/pkcs11/mechanisms.ts";
import type { Mechanism } from "../../src/pkcs11/rpc_values.ts";
import { Pkcs11Error } from "../../src/pkcs11/token_backend.ts";
import { hex } from "./_fake_backend.ts";

function spec(type: number) {
  const s = mechanismSpec(type);
  if (s === undefined) throw new Error(`no spec for ${type}`);
  return s;
}

function rv(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof Pkcs11Error) return err.rv;
    throw err;
  }
  return undefined;
}

Deno.test("raw ECDSA input is truncated or left-padded to the curve's order size", () => {
  const long = new Uint8Array(64).map((_, i) => i);
  const p256 = signInput(spec(CKM.ECDSA), long, { curveBytes: 32 });
  assert.deepEqual(p256, {
    kind: "signature",
    data: long.slice(0, 32),
    prehashed: true,
    hash: "SHA-256",
    format: "raw",
  });
  const p384 = signInput(spec(CKM.ECDSA), new Uint8Array(32).fill(1), { curveBytes: 48 });
  assert.deepEqual(
    p384.data,
    new Uint8Array([...new Uint8Array(16), ...new Uint8Array(32).fill(1)]),
  );
  assert.equal(p384.kind === "signature" && p384.hash, "SHA-384");
  assert.equal(rv(() => signInput(spec(CKM.ECDSA), new Uint8Array(0))), CKR.DATA_LEN_RANGE);
  assert.equal(rv(() => signInput(spec(CKM.ECDSA), new Uint8Array(1025))), CKR.DATA_LEN_RANGE);
}); // deno-fmt-ignore

Deno.test("hash-and-sign mechanisms pass the message with their hash and padding", () => {
  const msg = new TextEncoder().encode("m");
  assert.deepEqual(signInput(spec(CKM.SHA384_RSA_PKCS), msg), { kind: "signature", data: msg, prehashed: false, hash: "SHA-384", padding: "pkcs1" });
  assert.deepEqual(signInput(spec(CKM.ECDSA_SHA512), msg), { kind: "signature", data: msg, prehashed: false, hash: "SHA-512", format: "raw" });
  assert.deepEqual(signInput(spec(CKM.SHA256_HMAC), msg), { kind: "mac", data: msg });
}); // deno-fmt-ignore

Deno.test("CKM_RSA_PKCS input must be a SHA-2 DigestInfo", () => {
  for (const [prefix, length, hash] of [
    ["3031300d060960864801650304020105000420", 32, "SHA-256"],
    ["3041300d060960864801650304020205000430", 48, "SHA-384"],
    ["3051300d060960864801650304020305000440", 64, "SHA-512"],
  ] as const) {
    const input = signInput(spec(CKM.RSA_PKCS), hex(prefix + "ab".repeat(length)));
    assert.equal(input.kind === "signature" && input.hash, hash);
    assert.equal(input.data.length, length);
  }
  const sha1 = hex("3021300906052b0e03021a05000414" + "ab".repeat(20));
  assert.equal(rv(() => signInput(spec(CKM.RSA_PKCS), sha1)), CKR.DATA_INVALID);
}); // deno-fmt-ignore

Deno.test("PSS parameters must use MGF1 of the hash and a salt as long as the hash", () => {
  const pss = (hashAlg: number, mgf: number, saltLength: number, type: number = CKM.RSA_PKCS_PSS): Mechanism =>
    ({ type, params: { kind: "pss", hashAlg, mgf, saltLength } });
  assert.deepEqual(checkParams(spec(CKM.RSA_PKCS_PSS), pss(CKM.SHA384, 3, 48)), { hash: "SHA-384" });
  assert.equal(rv(() => checkParams(spec(CKM.RSA_PKCS_PSS), pss(CKM.SHA256, 2, 20))), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => checkParams(spec(CKM.RSA_PKCS_PSS), pss(CKM.SHA256, 1, 32))), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => checkParams(spec(CKM.SHA512_RSA_PKCS_PSS), pss(CKM.SHA256, 2, 32, CKM.SHA512_RSA_PKCS_PSS))), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => checkParams(spec(CKM.RSA_PKCS_PSS), { type: CKM.RSA_PKCS_PSS, params: null })), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => signInput(spec(CKM.RSA_PKCS_PSS), new Uint8Array(20), { pssHash: "SHA-256" })), CKR.DATA_LEN_RANGE);
}); // deno-fmt-ignore

Deno.test("OAEP parameters must be SHA-256 with MGF1-SHA-256; a label is kept", () => {
  const oaep = (hashAlg: number, mgf: number, source: number, sourceData: Uint8Array | null): Mechanism =>
    ({ type: CKM.RSA_PKCS_OAEP, params: { kind: "oaep", hashAlg, mgf, source, sourceData } });
  const s = spec(CKM.RSA_PKCS_OAEP);
  assert.deepEqual(checkParams(s, oaep(CKM.SHA256, 2, 0, null)), {});
  assert.deepEqual(checkParams(s, oaep(CKM.SHA256, 2, 1, hex("6c"))), { label: hex("6c") });
  assert.equal(rv(() => checkParams(s, oaep(0x220, 1, 0, null))), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => checkParams(s, oaep(CKM.SHA256, 2, 7, null))), CKR.MECHANISM_PARAM_INVALID);
  assert.equal(rv(() => checkParams(spec(CKM.ECDSA), { type: CKM.ECDSA, params: hex("00") })), CKR.MECHANISM_PARAM_INVALID);
}); // deno-fmt-ignore

Deno.test("digest-input RSA mechanisms only verify", () => {
  assert.equal(canSign(spec(CKM.RSA_PKCS)), false);
  assert.equal(canSign(spec(CKM.RSA_PKCS_PSS)), false);
  assert.equal(canSign(spec(CKM.SHA256_RSA_PKCS)), true);
  assert.equal(mechanismSpec(CKM.ECDSA_SHA256)?.multipart, true);
  assert.equal(mechanismSpec(CKM.ECDSA)?.multipart, false);
  assert.equal(mechanismSpec(0x1087), undefined);
});
