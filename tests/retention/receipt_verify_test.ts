/**
 * Receipt ledgers checked with only the public key: an intact chain, then every way a
 * ledger can be damaged (an edited field, a removed or reordered receipt, a receipt
 * signed by another key, a malformed line), each reported at the right seq.
 */

import assert from "node:assert/strict";
import { toBase64Url } from "../../src/core/encoding.ts";
import {
  GENESIS_RECEIPT_HASH,
  lineHash,
  type Receipt,
  receiptLine,
  receiptSigningInput,
  type UnsignedReceipt,
} from "../../src/retention/receipts.ts";
import { importAttestationKey, verifyReceiptLines } from "../../src/retention/receipt_verify.ts";
import { toPem } from "../../src/core/pem.ts";

async function keyPair() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return { pair, pem: toPem("PUBLIC KEY", spki) };
}

async function ledger(privateKey: CryptoKey, count: number): Promise<string[]> {
  const lines: string[] = [];
  let prev = GENESIS_RECEIPT_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const unsigned: UnsignedReceipt = {
      seq,
      ts: new Date(Date.UTC(2025, 0, seq)).toISOString(),
      key_id: `key-${seq}`,
      version: seq,
      material_digest: "ab".repeat(32),
      approvers: ["bob"],
      approval_id: `appr-${seq}`,
      retention_class: "standard",
      reason: "retention",
      prev_hash: prev,
    };
    const sig = new Uint8Array(
      await crypto.subtle.sign("Ed25519", privateKey, receiptSigningInput(unsigned)),
    );
    const line = receiptLine({ ...unsigned, signature: toBase64Url(sig) } as Receipt);
    lines.push(line);
    prev = lineHash(line);
  }
  return lines;
}

Deno.test("an intact ledger verifies and reports its head", async () => {
  const { pair, pem } = await keyPair();
  const lines = await ledger(pair.privateKey, 3);
  const result = await verifyReceiptLines(lines, await importAttestationKey(pem));
  assert.deepEqual(result, { valid: true, receipts: 3, head: lineHash(lines[2] as string) });
  assert.deepEqual(await verifyReceiptLines([], await importAttestationKey(pem)), {
    valid: true,
    receipts: 0,
    head: GENESIS_RECEIPT_HASH,
  });
});

Deno.test("each kind of damage is found at the first bad receipt", async () => {
  const { pair, pem } = await keyPair();
  const key = await importAttestationKey(pem);
  const lines = await ledger(pair.privateKey, 4);
  const edited = [...lines];
  edited[1] = (edited[1] as string).replace('"approvers":["bob"]', '"approvers":["mallory"]');
  assert.deepEqual(await verifyReceiptLines(edited, key), {
    valid: false,
    first_bad_seq: 2,
    reason: "bad_signature",
  });
  const removed = [lines[0], lines[2], lines[3]] as string[];
  assert.deepEqual(await verifyReceiptLines(removed, key), {
    valid: false,
    first_bad_seq: 2,
    reason: "sequence_gap",
  });
  const reordered = [lines[0], lines[2], lines[1], lines[3]] as string[];
  assert.equal((await verifyReceiptLines(reordered, key)).valid, false);
  const malformed = [lines[0], "{not json", lines[2]] as string[];
  assert.deepEqual(await verifyReceiptLines(malformed, key), {
    valid: false,
    first_bad_seq: 2,
    reason: "malformed",
  });
  const other = await keyPair();
  const foreign = await ledger(other.pair.privateKey, 1);
  assert.deepEqual(await verifyReceiptLines(foreign, key), {
    valid: false,
    first_bad_seq: 1,
    reason: "bad_signature",
  });
  // A link pointing elsewhere breaks the chain even before the signature is checked.
  const wrongLink = [
    lines[0],
    (lines[1] as string).replace(/"prev_hash":"[0-9a-f]+"/, `"prev_hash":"${"0".repeat(64)}"`),
  ] as string[];
  assert.deepEqual(await verifyReceiptLines(wrongLink, key), {
    valid: false,
    first_bad_seq: 2,
    reason: "chain_broken",
  });
});

Deno.test("the attestation key reads from PEM or JWK and nothing else", async () => {
  const { pair, pem } = await keyPair();
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const lines = await ledger(pair.privateKey, 1);
  const fromJwk = await importAttestationKey(
    JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }),
  );
  assert.equal((await verifyReceiptLines(lines, fromJwk)).valid, true);
  await assert.rejects(importAttestationKey("not a key"), /Ed25519/);
  await assert.rejects(
    importAttestationKey('{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}'),
    /Ed25519/,
  );
  assert.ok(pem.startsWith("-----BEGIN PUBLIC KEY-----"));
});
