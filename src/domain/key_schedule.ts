/**
 * Per-key schedules and limits (pure rules, no I/O): rotation periods as ISO 8601
 * durations and when a key falls due, and the minimum decryption version, which retires
 * older versions for every consuming operation (decrypt, verify, MAC verify,
 * decapsulate) and may only move upward.
 *
 * Durations are `PnYnMnWnDTnHnMnS` with whole numbers (e.g. `P90D`, `P1Y`, `PT12H`);
 * years and months are calendar units added in UTC (`P1M` from 31 January is 3 March
 * when February has 28 days, as `Date.setUTCMonth` counts). A period must be at least
 * one hour (rotation storms) and at most 100 years.
 */

import { HsmError } from "./errors.ts";
import type { KeyOperation } from "./key_lifecycle.ts";
import type { KeyRecord } from "./records.ts";

/** The parts of an ISO 8601 duration. */
export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const DURATION_RE =
  /^P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;

/** Shortest rotation period accepted. */
export const MIN_ROTATION_PERIOD_MS = 60 * 60 * 1000;
/** Longest rotation period accepted (100 years of 366 days). */
const MAX_ROTATION_PERIOD_MS = 100 * 366 * 24 * 60 * 60 * 1000;

/** Parses an ISO 8601 duration; undefined when malformed or empty (`P`, `PT`). */
export function parseDuration(text: string): Duration | undefined {
  const m = DURATION_RE.exec(text);
  if (m === null || text === "P" || text.endsWith("T")) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) =>
    v === undefined ? 0 : Number(v)
  ) as [number, number, number, number, number, number, number];
  return { years, months, weeks, days, hours, minutes, seconds };
}

/** `from` plus `d`, calendar units in UTC. */
export function addDuration(from: Date, d: Duration): Date {
  const out = new Date(from.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + d.years, out.getUTCMonth() + d.months);
  const fixed = ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) *
    1000;
  return new Date(out.getTime() + fixed);
}

/**
 * Checks a rotation period given by a caller.
 * @throws HsmError("invalid_request") unless it is a duration from 1 hour to 100 years
 */
export function requireRotationPeriod(text: string): void {
  const d = parseDuration(text);
  const epoch = new Date(Date.UTC(2000, 0, 1));
  const span = d === undefined ? NaN : addDuration(epoch, d).getTime() - epoch.getTime();
  if (!(span >= MIN_ROTATION_PERIOD_MS && span <= MAX_ROTATION_PERIOD_MS)) {
    throw new HsmError(
      "invalid_request",
      `Invalid rotation_period ${
        JSON.stringify(text.slice(0, 40))
      }: expected an ISO 8601 duration from PT1H to P100Y`,
    );
  }
}

/**
 * When the key's current version (created at `currentCreatedAt`) falls due for
 * rotation; undefined when it has no period or the stored period does not parse.
 */
export function rotationDueAt(record: KeyRecord, currentCreatedAt: string): Date | undefined {
  if (record.rotationPeriod === undefined) return undefined;
  const d = parseDuration(record.rotationPeriod);
  const created = new Date(currentCreatedAt);
  if (d === undefined || Number.isNaN(created.getTime())) return undefined;
  return addDuration(created, d);
}

/** True when an active key with a period has a current version at least that old. */
export function isRotationDue(record: KeyRecord, currentCreatedAt: string, now: Date): boolean {
  if (record.state !== "active") return false;
  const due = rotationDueAt(record, currentCreatedAt);
  return due !== undefined && due.getTime() <= now.getTime();
}

/** The lowest version consuming operations may use (1 when no minimum is set). */
export function minDecryptionVersion(record: KeyRecord): number {
  return record.minDecryptionVersion ?? 1;
}

/**
 * Checks that `version` is not retired for a consuming operation (`verb`: "decrypt").
 * @throws HsmError("invalid_state") for a version below the key's minimum
 */
export function requireUnretiredVersion(record: KeyRecord, version: number, verb: string): void {
  const min = minDecryptionVersion(record);
  if (version < min) {
    throw new HsmError(
      "invalid_state",
      `Cannot ${verb} with version ${version} of key ${record.id}: versions below ${min} are retired`,
    );
  }
}

/** The consuming operations the minimum decryption version applies to, with their verbs. */
const CONSUMING: Readonly<Partial<Record<KeyOperation, string>>> = Object.freeze({
  decrypt: "decrypt",
  verify: "verify",
  mac_verify: "verify a MAC",
  decapsulate: "decapsulate",
});

/**
 * Checks the version an operation uses: consuming operations (decrypt, verify, MAC
 * verify, decapsulate) may not use a retired version; producing ones always use the
 * current version, which is never retired.
 * @throws HsmError("invalid_state") for a consuming operation on a retired version
 */
export function requireVersionFor(
  record: KeyRecord,
  operation: KeyOperation,
  version: number,
): void {
  const verb = CONSUMING[operation];
  if (verb !== undefined) requireUnretiredVersion(record, version, verb);
}

/**
 * Checks a new minimum decryption version: a whole number from the current minimum (it
 * only moves up) to the key's latest version.
 * @throws HsmError("invalid_state") when it would move down; ("invalid_request") when it
 * names a version the key does not have
 */
export function requireMinDecryptionVersion(record: KeyRecord, next: number): void {
  if (!Number.isSafeInteger(next) || next < 1 || next > record.currentVersion) {
    throw new HsmError(
      "invalid_request",
      `Cannot set min_decryption_version ${next} on key ${record.id}: latest version is ${record.currentVersion}`,
    );
  }
  const current = minDecryptionVersion(record);
  if (next < current) {
    throw new HsmError(
      "invalid_state",
      `Cannot lower min_decryption_version of key ${record.id} from ${current} to ${next}: it only moves up`,
    );
  }
}
