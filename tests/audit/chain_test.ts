import { canonicalJson } from "../../src/core/canonical_json.ts";
import assert from "node:assert/strict";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha384 } from "@noble/hashes/sha2.js";
import {
  computeMac,
  deriveAuditMacKey,
  entryHash,
  GENESIS_HASH,
  payloadHash,
  sealEntry,
  verifyMac,
} from "../../src/audit/chain.ts";
import { signAnchor } from "../../src/audit/anchor.ts";
import { parseAuditEntry, serializeEntry } from "../../src/domain/audit_entry.ts";
import { toHex, utf8 } from "../../src/core/encoding.ts";
import { chainOf, RAW_HMAC_KEY, testMacKey } from "./_helpers.ts";

/** Independent re-implementation of the documented canonical encoding. */
function documentedEncoding(
  domain: string,
  e: Record<string, unknown>,
  withMac: boolean,
): Uint8Array {
  const parts: number[] = [];
  const lp = (s: string) => {
    const b = utf8(s);
    parts.push(
      (b.length >>> 24) & 255,
      (b.length >>> 16) & 255,
      (b.length >>> 8) & 255,
      b.length & 255,
    );
    parts.push(...b);
  };
  lp(domain);
  const seq = BigInt(e.seq as number);
  for (let i = 7; i >= 0; i--) parts.push(Number((seq >> BigInt(i * 8)) & 255n));
  lp(e.ts as string);
  lp(e.actor as string);
  lp(e.action as string);
  if (e.key_id === null) parts.push(0);
  else {
    parts.push(1);
    lp(e.key_id as string);
  }
  lp(e.result as string);
  lp(e.payload_hash as string);
  lp(e.prev_hash as string);
  if (withMac) lp(e.mac as string);
  return new Uint8Array(parts);
}

Deno.test("GENESIS_HASH is 64 zeros", () => {
  assert.equal(GENESIS_HASH, "0".repeat(64));
});

Deno.test("the audit MAC key is HKDF-SHA-384 of the HMAC key with the documented info", async () => {
  const key = await deriveAuditMacKey(RAW_HMAC_KEY);
  const [entry] = await chainOf(key, 1);
  assert.ok(entry);
  const okm = hkdf(sha384, RAW_HMAC_KEY, new Uint8Array(0), utf8("ferrohsm audit mac v1"), 48);
  const expected = hmac(
    sha384,
    okm,
    documentedEncoding("ferrohsm audit mac v1", { ...entry }, false),
  );
  assert.equal(entry.mac, toHex(expected));
});

Deno.test("entryHash is SHA-256 of the documented encoding of fields and prev_hash", async () => {
  const [entry] = await chainOf(await testMacKey(), 1);
  assert.ok(entry);
  const expected = sha256(documentedEncoding("ferrohsm audit entry v2", { ...entry }, false));
  assert.equal(entryHash(entry), toHex(expected));
  assert.notEqual(entryHash({ ...entry, actor: "mallory" }), entryHash(entry));
  assert.notEqual(entryHash({ ...entry, prev_hash: "1".repeat(64) }), entryHash(entry));
});

Deno.test("deriving the MAC key from a key that is not 32 bytes is a RangeError", async () => {
  await assert.rejects(deriveAuditMacKey(new Uint8Array(31)), RangeError);
});

Deno.test("different HMAC keys give different MACs", async () => {
  const fields = {
    seq: 1,
    ts: "t",
    actor: "a",
    action: "x",
    key_id: null,
    result: "ok",
    payload_hash: GENESIS_HASH,
  };
  const a = await computeMac(await testMacKey(), fields, GENESIS_HASH);
  const b = await computeMac(await testMacKey(new Uint8Array(32)), fields, GENESIS_HASH);
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{96}$/);
});

Deno.test("a null key_id and an empty key_id have different MACs", async () => {
  const key = await testMacKey();
  const fields = {
    seq: 1,
    ts: "t",
    actor: "a",
    action: "x",
    key_id: null,
    result: "ok",
    payload_hash: GENESIS_HASH,
  };
  const a = await computeMac(key, fields, GENESIS_HASH);
  const b = await computeMac(key, { ...fields, key_id: "" }, GENESIS_HASH);
  assert.notEqual(a, b);
});

Deno.test("verifyMac accepts an authentic entry and rejects any edited field", async () => {
  const key = await testMacKey();
  const [entry] = await chainOf(key, 1);
  assert.ok(entry);
  assert.equal(await verifyMac(key, entry), true);
  for (
    const edit of [{ seq: 2 }, { actor: "mallory" }, { key_id: "other" }, { result: "denied" }]
  ) {
    assert.equal(await verifyMac(key, { ...entry, ...edit }), false);
  }
  assert.equal(await verifyMac(key, { ...entry, prev_hash: "1".repeat(64) }), false);
  assert.equal(await verifyMac(key, { ...entry, mac: "zz" }), false);
});

Deno.test("payloadHash is SHA-256 of canonical JSON with sorted keys", () => {
  const expected = toHex(sha256(utf8('{"a":[true,null,"x"],"b":1}')));
  assert.equal(payloadHash({ b: 1, a: [true, null, "x"] }), expected);
  assert.equal(payloadHash({ a: [true, null, "x"], b: 1, c: undefined }), expected);
  assert.equal(payloadHash(undefined), payloadHash(null));
  assert.equal(
    canonicalJson({ z: { y: 2, x: 1 }, d: new Date(0) }),
    '{"d":"1970-01-01T00:00:00.000Z","z":{"x":1,"y":2}}',
  );
  assert.equal(canonicalJson(new Uint8Array([1, 2, 3])), '"AQID"');
});

Deno.test("payloadHash rejects values JSON cannot represent", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => payloadHash(cyclic), TypeError);
  assert.throws(() => payloadHash({ n: NaN }), TypeError);
  assert.throws(() => payloadHash(1n), TypeError);
});

Deno.test("parseAuditEntry accepts a serialized entry and rejects malformed ones", async () => {
  const [entry] = await chainOf(await testMacKey(), 1);
  assert.ok(entry);
  assert.deepEqual(parseAuditEntry(JSON.parse(serializeEntry(entry))), entry);
  assert.equal(
    Object.keys(JSON.parse(serializeEntry(entry))).join(),
    "seq,ts,actor,action,key_id,result,payload_hash,prev_hash,mac",
  );
  for (
    const bad of [
      { ...entry, extra: 1 },
      { ...entry, seq: 0 },
      { ...entry, seq: 1.5 },
      { ...entry, mac: entry.mac.toUpperCase() },
      { ...entry, prev_hash: "abc" },
      { ...entry, actor: "\ud800" },
      { ...entry, key_id: 5 },
      null,
      [],
    ]
  ) {
    assert.equal(parseAuditEntry(bad), undefined);
  }
});

Deno.test("a request id extends the encoding under its own marker and is authenticated", async () => {
  const key = await testMacKey();
  const [entry] = await chainOf(key, 1);
  assert.ok(entry);
  const fields = { ...entry, request_id: "req-1" };
  const mac = await computeMac(key, fields, entry.prev_hash);
  const withId = { ...fields, mac };
  assert.equal(await verifyMac(key, withId), true);
  // Dropping, editing or moving the id into `records` breaks the MAC and the hash.
  assert.equal(await verifyMac(key, { ...entry, mac }), false);
  assert.equal(await verifyMac(key, { ...withId, request_id: "req-2" }), false);
  assert.notEqual(entryHash(withId), entryHash(entry));
  const base = documentedEncoding("ferrohsm audit entry v2", { ...entry }, false);
  const tail = [2, 0, 0, 0, 5, ...utf8("req-1")];
  assert.equal(entryHash(withId), toHex(sha256(new Uint8Array([...base, ...tail]))));
});

Deno.test("parseAuditEntry keeps a well-formed request id and refuses a malformed one", async () => {
  const [entry] = await chainOf(await testMacKey(), 1);
  assert.ok(entry);
  const withId = { ...entry, request_id: "a.B_9-z" };
  assert.deepEqual(parseAuditEntry(JSON.parse(serializeEntry(withId))), withId);
  assert.equal(Object.keys(JSON.parse(serializeEntry(withId))).at(-1), "request_id");
  for (const bad of ["", "has space", "x".repeat(65), 7]) {
    assert.equal(parseAuditEntry({ ...entry, request_id: bad }), undefined);
  }
});

/** The audit MAC key as the Web Crypto CryptoKey the log used before (HKDF, then HMAC). */
async function webCryptoMacKey(raw: Uint8Array): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", new Uint8Array(raw), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-384", salt: new Uint8Array(0), info: utf8("ferrohsm audit mac v1") },
    ikm,
    384,
  );
  return await crypto.subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-384" }, false, [
    "sign",
  ]);
}

Deno.test("the synchronous entry MAC is byte-identical to Web Crypto's HMAC-SHA-384", async () => {
  const key = await deriveAuditMacKey(RAW_HMAC_KEY);
  const web = await webCryptoMacKey(RAW_HMAC_KEY);
  const entries = await chainOf(key, 4);
  for (const entry of entries) {
    const input = new Uint8Array(documentedEncoding("ferrohsm audit mac v1", { ...entry }, false));
    const expected = toHex(new Uint8Array(await crypto.subtle.sign("HMAC", web, input)));
    assert.equal(entry.mac, expected);
    const sealed = sealEntry(key, entry, entry.prev_hash);
    assert.deepEqual(sealed, { mac: expected, hash: entryHash(entry) });
  }
  // With both optional tails (records, then request id) as well.
  const [first] = entries;
  assert.ok(first);
  const fields = { ...first, records: "key:k1@2", request_id: "req-1" };
  const input = new Uint8Array([
    ...documentedEncoding("ferrohsm audit mac v1", { ...first }, false),
    ...[1, 0, 0, 0, 8, ...utf8("key:k1@2")],
    ...[2, 0, 0, 0, 5, ...utf8("req-1")],
  ]);
  const expected = toHex(new Uint8Array(await crypto.subtle.sign("HMAC", web, input)));
  assert.equal(computeMac(key, fields, first.prev_hash), expected);
  assert.equal(sealEntry(key, fields, first.prev_hash).mac, expected);
  assert.equal(verifyMac(key, { ...fields, mac: expected }), true);
  key.close();
});

Deno.test("the anchor MAC is byte-identical to Web Crypto's HMAC-SHA-384", async () => {
  const key = await deriveAuditMacKey(RAW_HMAC_KEY);
  const web = await webCryptoMacKey(RAW_HMAC_KEY);
  const anchor = signAnchor(key, 7, "ab".repeat(32));
  const domain = utf8("ferrohsm audit anchor v1");
  const hash = utf8("ab".repeat(32));
  const input = new Uint8Array([
    0,
    0,
    0,
    domain.length,
    ...domain,
    ...[0, 0, 0, 0, 0, 0, 0, 7],
    0,
    0,
    0,
    hash.length,
    ...hash,
  ]);
  assert.equal(anchor.mac, toHex(new Uint8Array(await crypto.subtle.sign("HMAC", web, input))));
  key.close();
});

Deno.test("a closed audit MAC key refuses to MAC or verify", async () => {
  const key = await deriveAuditMacKey(RAW_HMAC_KEY);
  const [entry] = await chainOf(key, 1);
  assert.ok(entry);
  assert.equal(key.closed, false);
  key.close();
  key.close(); // idempotent
  assert.equal(key.closed, true);
  assert.throws(() => computeMac(key, entry, entry.prev_hash), TypeError);
  assert.throws(() => verifyMac(key, entry), TypeError);
});
