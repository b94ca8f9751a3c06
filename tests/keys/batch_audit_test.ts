/**
 * The batch audit payload: one hash per item in order, bound to index, result, version
 * and ref, so reordering, changing or dropping an item changes the payload.
 */

import assert from "node:assert/strict";
import { artifactDigest, batchAuditPayload, batchItemHash } from "../../src/keys/batch_audit.ts";

Deno.test("each item hash binds its index, result, version and ref", () => {
  const base = { result: "ok", version: 2, ref: artifactDigest("fhsm:v2:abc") };
  const h = batchItemHash(0, base);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(batchItemHash(0, { ...base }), h);
  for (
    const other of [
      batchItemHash(1, base),
      batchItemHash(0, { ...base, result: "invalid_request" }),
      batchItemHash(0, { ...base, version: 1 }),
      batchItemHash(0, { ...base, ref: artifactDigest("fhsm:v2:abd") }),
      batchItemHash(0, { result: "ok", version: 2 }),
    ]
  ) assert.notEqual(other, h);
  assert.equal(artifactDigest(new TextEncoder().encode("x")), artifactDigest("x"));
});

Deno.test("the payload counts outcomes and lists item hashes in order", () => {
  const outcomes = [
    { result: "ok", version: 1, ref: artifactDigest("a") },
    { result: "invalid_request" },
    { result: "ok", version: 1, ref: artifactDigest("c") },
  ];
  const payload = batchAuditPayload("encrypt", outcomes);
  assert.deepEqual([payload.operation, payload.count, payload.ok, payload.failed], [
    "encrypt",
    3,
    2,
    1,
  ]);
  assert.deepEqual(payload.items, outcomes.map((o, i) => batchItemHash(i, o)));
  const swapped = batchAuditPayload("encrypt", [outcomes[2], outcomes[1], outcomes[0]] as never);
  assert.notDeepEqual(swapped.items, payload.items);
});
