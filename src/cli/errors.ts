/**
 * The CLI's failures and the exit code each one maps to: usage errors exit 2, refusals
 * and failures (any HTTP error) exit 1. API errors carry the contract's `code` and
 * message, which never contain key material.
 */

/** Wrong or missing flags or arguments: exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A refused or failed operation: exit 1 with `message` on stderr. */
export class CommandFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandFailure";
  }
}

/** An error answer of the API (or an unreachable server): exit 1, `code: message`. */
export class ApiError extends Error {
  /** The contract's error code (`http_<status>` when the body is not a contract error). */
  readonly code: string;
  /** The HTTP status, 0 when no answer was received. */
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}
