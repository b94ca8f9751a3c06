/**
 * Recognises SQLite constraint failures by their error codes (never by message text),
 * so stores can turn a duplicate primary key into `HsmError("conflict")`.
 */

const DUPLICATE_CODES: readonly string[] = [
  "SQLITE_CONSTRAINT_PRIMARYKEY",
  "SQLITE_CONSTRAINT_UNIQUE",
];

/**
 * True when `err`, or an error in its `cause` chain (drizzle wraps libSQL errors), is a
 * PRIMARY KEY or UNIQUE violation.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const extended = (e as { extendedCode?: unknown }).extendedCode;
    if (typeof extended === "string" && DUPLICATE_CODES.includes(extended)) return true;
  }
  return false;
}
