/** The Guard's strict limits: checked before the operation, refusals audited. */

import assert from "node:assert/strict";
import { type AuditEvent, Guard, type StrictLimits } from "../../src/access/guard.ts";
import { isHsmError } from "../../src/domain/errors.ts";

function recorder() {
  const events: AuditEvent[] = [];
  return {
    events,
    sink: {
      append(event: AuditEvent) {
        events.push(event);
        return Promise.resolve({ seq: events.length });
      },
    },
  };
}

const allowAll = { allows: () => true };
const actor = { id: "alice", roles: [] };

Deno.test("a strictly limited action runs while tokens last and is refused and audited after", async () => {
  const audit = recorder();
  let tokens = 1;
  const taken: string[] = [];
  const strict: StrictLimits = {
    actions: ["key.destroy.request"],
    take: (who, action) => {
      taken.push(`${who.id}:${action}`);
      return Promise.resolve(tokens-- > 0);
    },
  };
  const guard = new Guard(audit.sink, allowAll, { strict });
  let ran = 0;
  await guard.run({ actor, action: "key.destroy.request" }, () => Promise.resolve(ran++));
  await assert.rejects(
    guard.run({ actor, action: "key.destroy.request" }, () => Promise.resolve(ran++)),
    (err) => isHsmError(err, "rate_limited"),
  );
  assert.equal(ran, 1);
  assert.deepEqual(audit.events.map((e) => e.result), ["ok", "rate_limited"]);
  // Other actions never take a token.
  await guard.run({ actor, action: "key.read" }, () => Promise.resolve(ran++));
  assert.deepEqual(taken, ["alice:key.destroy.request", "alice:key.destroy.request"]);
});
