import assert from "node:assert/strict";
import {
  buildPolicyContext,
  clockIn,
  isValidTimeZone,
  parseSampleContext,
  type PolicyContextInput,
} from "../../src/policy/policy_context.ts";
import { parsePolicyContext, policyContextSchema } from "../../src/policy/policy_types.ts";

function input(time: string, timeZone = "Europe/Paris"): PolicyContextInput {
  return {
    actor: { sub: "alice", roles: ["Operator"] },
    action: "sign",
    request: { time: new Date(time), clientIp: "192.0.2.7", size: 42, via: "pkcs11" },
    timeZone,
  };
}

Deno.test("clock fields follow the configured zone, winter and summer", () => {
  const winter = buildPolicyContext(input("2025-01-06T08:30:00Z"));
  assert.deepEqual([winter.hour, winter.minute, winter.weekday], [9, 30, 1]);
  const summer = buildPolicyContext(input("2025-07-07T08:30:00Z"));
  assert.deepEqual([summer.hour, summer.minute, summer.weekday], [10, 30, 1]);
  assert.deepEqual(summer.request.utc, { hour: 8, minute: 30, weekday: 1 });
});

Deno.test("the weekday changes at the zone's midnight, not UTC's", () => {
  // Sunday 23:30 UTC is Monday 00:30 in Paris.
  const ctx = buildPolicyContext(input("2025-01-05T23:30:00Z"));
  assert.equal(ctx.request.weekday, 1);
  assert.equal(ctx.request.hour, 0);
  assert.equal(ctx.request.utc.weekday, 0);
  assert.equal(ctx.request.utc.hour, 23);
});

Deno.test("the context carries the request facts in snake_case and the time in UTC", () => {
  const ctx = buildPolicyContext({
    ...input("2025-01-06T08:30:00Z", "UTC"),
    actor: { sub: "svc", roles: ["Service"], certThumbprint: "ab12" },
    key: { id: "k1", algorithm: "EC-P256", tags: { team: "pay" }, state: "active", version: 3 },
  });
  assert.equal(ctx.request.time, "2025-01-06T08:30:00.000Z");
  assert.equal(ctx.request.time_zone, "UTC");
  assert.equal(ctx.request.client_ip, "192.0.2.7");
  assert.equal(ctx.request.size, 42);
  assert.equal(ctx.request.via, "pkcs11");
  assert.equal(ctx.actor.cert_thumbprint, "ab12");
  assert.deepEqual(ctx.key, {
    id: "k1",
    algorithm: "EC-P256",
    tags: { team: "pay" },
    state: "active",
    version: 3,
  });
  assert.deepEqual(parsePolicyContext(JSON.parse(JSON.stringify(ctx))), ctx);
});

Deno.test("optional facts are absent, not undefined, when not given", () => {
  const ctx = buildPolicyContext(input("2025-01-06T08:30:00Z"));
  assert.equal("key" in ctx, false);
  assert.equal("cert_thumbprint" in ctx.actor, false);
  assert.equal(policyContextSchema.safeParse(ctx).success, true);
});

Deno.test("an unknown zone or an invalid date is a RangeError", () => {
  assert.equal(isValidTimeZone("Europe/Paris"), true);
  assert.equal(isValidTimeZone("Mars/Olympus_Mons"), false);
  assert.throws(
    () => buildPolicyContext(input("2025-01-06T08:30:00Z", "Mars/Olympus_Mons")),
    RangeError,
  );
  assert.throws(() => clockIn(new Date("not a date"), "UTC"), RangeError);
});

Deno.test("a sample context with unknown fields or out-of-range clock values is refused", () => {
  const ctx = JSON.parse(JSON.stringify(buildPolicyContext(input("2025-01-06T08:30:00Z"))));
  assert.throws(() => parsePolicyContext({ ...ctx, extra: 1 }), { code: "invalid_request" });
  assert.throws(() => parsePolicyContext({ ...ctx, hour: 24 }), { code: "invalid_request" });
  assert.throws(() => parsePolicyContext({ ...ctx, action: "fly" }), { code: "invalid_request" });
});

Deno.test("a sample context gets its clock fields from the configured zone", () => {
  const ctx = parseSampleContext(
    {
      actor: { sub: "alice", roles: ["Operator"] },
      action: "decrypt",
      key: { id: "k1", algorithm: "AES-256-GCM", tags: {}, state: "active", version: 1 },
      request: { time: "2025-07-07T15:30:00Z" },
    },
    "Europe/Paris",
  );
  assert.deepEqual([ctx.hour, ctx.request.hour, ctx.request.utc.hour], [17, 17, 15]);
  assert.equal(ctx.request.via, "rest");
  assert.equal(ctx.key?.algorithm, "AES-256-GCM");
  assert.throws(
    () =>
      parseSampleContext({ actor: { sub: "a", roles: [] }, action: "sign", request: {} }, "UTC"),
    { code: "invalid_request" },
  );
});
