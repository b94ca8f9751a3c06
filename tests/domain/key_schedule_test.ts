/**
 * Schedules and limits: ISO 8601 rotation periods (parsing, calendar arithmetic, bounds),
 * when a key falls due, retired versions below the minimum decryption version, the
 * upward-only rule, and rollback refusing a retired target.
 */

import assert from "node:assert/strict";
import {
  addDuration,
  isRotationDue,
  parseDuration,
  requireMinDecryptionVersion,
  requireRotationPeriod,
  requireUnretiredVersion,
  rotationDueAt,
} from "../../src/domain/key_schedule.ts";
import { requireRollbackTarget } from "../../src/domain/key_lifecycle.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import type { KeyRecord } from "../../src/domain/records.ts";

function record(change: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: "k1",
    name: "k",
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: {},
    state: "active",
    currentVersion: 5,
    dualControl: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    revision: 1,
    mac: "",
    ...change,
  };
}

Deno.test("ISO 8601 durations parse into their parts and malformed ones do not", () => {
  assert.deepEqual(parseDuration("P1Y2M3W4DT5H6M7S"), {
    years: 1,
    months: 2,
    weeks: 3,
    days: 4,
    hours: 5,
    minutes: 6,
    seconds: 7,
  });
  assert.equal(parseDuration("P90D")?.days, 90);
  assert.equal(parseDuration("PT12H")?.hours, 12);
  for (const bad of ["", "P", "PT", "90D", "P1DT", "P-1D", "P1.5D", "p90d", "P90D ", "P1H"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

Deno.test("calendar units are added in UTC", () => {
  const from = new Date("2026-01-31T10:00:00Z");
  const month = parseDuration("P1M");
  const dayAndHours = parseDuration("P1DT2H");
  assert.ok(month !== undefined && dayAndHours !== undefined);
  assert.equal(addDuration(from, month).toISOString(), "2026-03-03T10:00:00.000Z");
  assert.equal(addDuration(from, dayAndHours).toISOString(), "2026-02-01T12:00:00.000Z");
});

Deno.test("rotation periods must be between one hour and one hundred years", () => {
  for (const ok of ["PT1H", "PT60M", "P90D", "P1Y", "P100Y"]) requireRotationPeriod(ok);
  for (const bad of ["PT59M", "PT3599S", "P101Y", "P0D", "nonsense", "P"]) {
    assert.throws(() => requireRotationPeriod(bad), (e) => isHsmError(e, "invalid_request"), bad);
  }
});

Deno.test("an active key falls due once its current version is a period old", () => {
  const k = record({ rotationPeriod: "P90D" });
  const created = "2026-01-01T00:00:00.000Z";
  assert.equal(rotationDueAt(k, created)?.toISOString(), "2026-04-01T00:00:00.000Z");
  assert.equal(isRotationDue(k, created, new Date("2026-03-31T23:59:59Z")), false);
  assert.equal(isRotationDue(k, created, new Date("2026-04-01T00:00:00Z")), true);
  assert.equal(isRotationDue(record(), created, new Date("2099-01-01T00:00:00Z")), false);
  for (const state of ["revoked", "staged", "destroyed"] as const) {
    assert.equal(isRotationDue({ ...k, state }, created, new Date("2099-01-01T00:00:00Z")), false);
  }
});

Deno.test("versions below the minimum decryption version are retired", () => {
  const k = record({ minDecryptionVersion: 3 });
  requireUnretiredVersion(k, 3, "decrypt");
  requireUnretiredVersion(k, 5, "decrypt");
  assert.throws(
    () => requireUnretiredVersion(k, 2, "decrypt"),
    (e) => isHsmError(e, "invalid_state") && /versions below 3 are retired/.test(e.message),
  );
  requireUnretiredVersion(record(), 1, "verify");
});

Deno.test("the minimum decryption version only moves up and never past the latest", () => {
  const k = record({ minDecryptionVersion: 3 });
  requireMinDecryptionVersion(k, 3);
  requireMinDecryptionVersion(k, 5);
  assert.throws(() => requireMinDecryptionVersion(k, 2), (e) => isHsmError(e, "invalid_state"));
  for (const bad of [6, 0, 1.5]) {
    assert.throws(
      () => requireMinDecryptionVersion(k, bad),
      (e) => isHsmError(e, "invalid_request"),
    );
  }
});

Deno.test("rollback to a retired version is refused", () => {
  const k = record({ minDecryptionVersion: 3 });
  requireRollbackTarget(k, 3);
  assert.throws(() => requireRollbackTarget(k, 2), (e) => isHsmError(e, "invalid_state"));
});
