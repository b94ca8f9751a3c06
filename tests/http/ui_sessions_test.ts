import assert from "node:assert/strict";
import { SessionStore } from "../../src/http/ui_sessions.ts";

const alice = { id: "alice", roles: ["Administrator"] as const };

function storeAt(options: ConstructorParameters<typeof SessionStore>[0] = {}) {
  const clock = { now: 1_000_000 };
  const store = new SessionStore({ ...options, clock: () => clock.now });
  return { store, clock };
}

Deno.test("a session is found by its cookie value and carries a CSRF token of its own", () => {
  const { store } = storeAt();
  const a = store.open(alice, { via: "token" });
  const b = store.open(alice, { via: "certificate", certThumbprint: "t" });
  assert.match(a.cookie, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.cookie, b.cookie);
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.equal(store.lookup(a.cookie)?.actor.id, "alice");
  assert.equal(store.lookup(b.cookie)?.certThumbprint, "t");
  assert.equal(store.lookup("x".repeat(43)), undefined);
  assert.equal(store.lookup("not a cookie"), undefined);
  assert.equal(store.lookup(undefined), undefined);
  assert.ok(!a.session.ref.includes(a.cookie.slice(0, 6)) || a.session.ref.length === 12);
});

Deno.test("sessions end after the idle timeout, and polling does not keep them alive", () => {
  const { store, clock } = storeAt({ idleMs: 1000, ttlMs: 10_000 });
  const { cookie } = store.open(alice, { via: "token" });
  clock.now += 900;
  assert.ok(store.lookup(cookie) !== undefined, "activity at 900 ms");
  clock.now += 900;
  assert.ok(store.lookup(cookie, { touch: false }) !== undefined, "idle 900 ms: still alive");
  clock.now += 200;
  assert.equal(store.lookup(cookie, { touch: false }), undefined, "idle 1100 ms: ended");
  assert.equal(store.stats().expired, 1);
  assert.equal(store.stats().open, 0);
});

Deno.test("sessions end at their absolute lifetime however active", () => {
  const { store, clock } = storeAt({ idleMs: 1000, ttlMs: 2500 });
  const { cookie, session } = store.open(alice, { via: "token" });
  assert.equal(session.expiresAt, 1_000_000 + 2500);
  for (let i = 0; i < 4; i++) {
    clock.now += 600;
    const alive = store.lookup(cookie) !== undefined;
    assert.equal(alive, i < 4 && clock.now < 1_002_500, `step ${i}`);
  }
});

Deno.test("close ends a session at once", () => {
  const { store } = storeAt();
  const { cookie } = store.open(alice, { via: "token" });
  assert.equal(store.close(cookie), true);
  assert.equal(store.close(cookie), false);
  assert.equal(store.lookup(cookie), undefined);
});

Deno.test("one actor holds at most maxPerActor sessions and the store at most maxSessions", () => {
  const { store, clock } = storeAt({ maxPerActor: 2, maxSessions: 3 });
  const first = store.open(alice, { via: "token" });
  clock.now++;
  const second = store.open(alice, { via: "token" });
  clock.now++;
  const third = store.open(alice, { via: "token" });
  assert.equal(store.lookup(first.cookie), undefined, "the oldest of alice's sessions went");
  assert.ok(store.lookup(second.cookie) && store.lookup(third.cookie));
  const bob = store.open({ id: "bob", roles: ["Auditor"] }, { via: "token" });
  const carol = store.open({ id: "carol", roles: ["Auditor"] }, { via: "token" });
  assert.equal(store.stats().open, 3);
  assert.equal(store.lookup(second.cookie), undefined, "the least recently used went");
  assert.ok(store.lookup(bob.cookie) && store.lookup(carol.cookie) && store.lookup(third.cookie));
});

Deno.test("bounds must be positive integers", () => {
  assert.throws(() => new SessionStore({ ttlMs: 0 }), RangeError);
  assert.throws(() => new SessionStore({ idleMs: 1.5 }), RangeError);
  assert.throws(() => new SessionStore({ maxSessions: -1 }), RangeError);
});
