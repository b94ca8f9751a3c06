/**
 * Recognises PostgreSQL errors by their SQLSTATE codes (never by message text), so
 * stores can turn a duplicate key into `HsmError("conflict")` and retry a transaction
 * that lost a serialization race.
 */

/** unique_violation */
const UNIQUE_VIOLATION = "23505";
/** serialization_failure, deadlock_detected */
const RETRYABLE = ["40001", "40P01"];

/** The SQLSTATE of `err` or of an error in its `cause` chain (drizzle wraps driver errors). */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** True when `err` is a PRIMARY KEY or UNIQUE violation. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === UNIQUE_VIOLATION;
}

/** True when the transaction may simply be run again (serialization failure, deadlock). */
export function isRetryable(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && RETRYABLE.includes(state);
}
