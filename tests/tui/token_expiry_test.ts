import assert from "node:assert/strict";
import { describeTimeLeft, tokenStatus } from "../../src/tui/token_expiry.ts";
import { tokenExpiringIn } from "./_fixtures.ts";

Deno.test("a token's exp is read locally and flagged a minute before it expires", () => {
  const now = 1_700_000_000_000;
  assert.deepEqual(tokenStatus(tokenExpiringIn("a", 200, now), now), {
    state: "valid",
    secondsLeft: 200,
    subject: "a",
  });
  assert.equal(tokenStatus(tokenExpiringIn("a", 60, now), now).state, "expiring");
  assert.equal(tokenStatus(tokenExpiringIn("a", 0, now), now).state, "expired");
  assert.equal(tokenStatus(undefined, now).state, "none");
  assert.equal(tokenStatus("not-a-jwt", now).state, "unreadable");
  assert.equal(tokenStatus("a.!!!.b", now).state, "unreadable");
  assert.equal(describeTimeLeft(250), "4m 10s");
  assert.equal(describeTimeLeft(45), "45s");
});
