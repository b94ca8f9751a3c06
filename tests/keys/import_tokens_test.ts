/**
 * Import tokens: a token unwraps once and only for its wrapping key, expires after 24
 * hours (injected clock), is found by its hash, holds only sealed material, is capped
 * in number, and a spare wrapping key is prepared after the first request.
 */

import assert from "node:assert/strict";
import { RootKeys } from "../../src/core/master_key.ts";
import { Sealer } from "../../src/core/sealing.ts";
import {
  generateWrappingKey,
  wrapKeyForImport,
  type WrappingKeyPair,
} from "../../src/core/import_wrapping.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { ImportTokens, MAX_OUTSTANDING_TOKENS, tokenIdOf } from "../../src/keys/import_tokens.ts";

const pair = await generateWrappingKey();
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function tokens(clock: () => Date, generated: { count: number } = { count: 0 }) {
  const sealer = new Sealer(await RootKeys.derive(random(32), random(32)));
  const generate = (): Promise<WrappingKeyPair> => {
    generated.count++;
    return Promise.resolve({ material: pair.material.slice(), spki: pair.spki.slice() });
  };
  return new ImportTokens({ sealer, generate, clock });
}

Deno.test("a token unwraps its import once, then is gone", async () => {
  const t = await tokens(() => new Date());
  try {
    const issued = await t.issue("AES-256-GCM");
    assert.equal(issued.tokenId, tokenIdOf(issued.token));
    assert.equal(issued.tokenId.length, 32);
    const material = random(32);
    const wrapped = await wrapKeyForImport(issued.spki, material);
    const consumed = t.take(issued.token);
    assert.ok(consumed !== undefined);
    assert.equal(consumed.algorithm, "AES-256-GCM");
    assert.equal(consumed.sealed.keyId, `import-${issued.tokenId}`);
    assert.ok(!consumed.sealed.ciphertext.every((b, i) => b === pair.material[i]));
    assert.deepEqual(await t.unwrap(consumed, wrapped), material);
    assert.equal(t.take(issued.token), undefined, "single use");
    assert.equal(t.take("not-a-token"), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("a token expires after 24 hours", async () => {
  let now = new Date("2026-01-01T00:00:00Z");
  const t = await tokens(() => now);
  try {
    const issued = await t.issue("EC-P256");
    assert.equal(issued.expiresAt, "2026-01-02T00:00:00.000Z");
    const second = await t.issue("EC-P256");
    now = new Date("2026-01-01T23:59:59Z");
    assert.ok(t.take(issued.token) !== undefined);
    now = new Date("2026-01-02T00:00:00Z");
    assert.equal(t.take(second.token), undefined);
  } finally {
    await t.close();
  }
});

Deno.test("outstanding tokens are capped and expired ones make room", async () => {
  let now = new Date("2026-01-01T00:00:00Z");
  const generated = { count: 0 };
  const t = await tokens(() => now, generated);
  try {
    for (let i = 0; i < MAX_OUTSTANDING_TOKENS; i++) await t.issue("AES-256-GCM");
    await assert.rejects(t.issue("AES-256-GCM"), (e) => isHsmError(e, "conflict"));
    now = new Date("2026-01-03T00:00:00Z");
    await t.issue("AES-256-GCM");
    assert.equal(t.size, 1);
    assert.ok(generated.count >= MAX_OUTSTANDING_TOKENS + 1);
  } finally {
    await t.close();
  }
});
