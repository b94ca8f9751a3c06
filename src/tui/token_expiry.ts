/**
 * Reads a bearer token's `exp` locally so the TUI can flag a token about to expire.
 * The token is NOT verified (the server does that); only the payload's `exp`, `sub` and
 * `roles` are decoded, for display. Nothing here ever prints the token itself.
 */

import { fromBase64Url } from "../core/encoding.ts";

/** What the TUI shows about its token. */
export interface TokenStatus {
  /** "none": no token; "unreadable": not a JWT with a numeric `exp`. */
  readonly state: "none" | "unreadable" | "valid" | "expiring" | "expired";
  /** Seconds until `exp` (negative once expired). */
  readonly secondsLeft?: number;
  /** The `sub` claim, made safe for the terminal by the caller. */
  readonly subject?: string;
}

/** Seconds before `exp` from which a token counts as about to expire. */
export const EXPIRY_WARNING_S = 60;

/** The status of `token` at `nowMs`. */
export function tokenStatus(token: string | undefined, nowMs: number): TokenStatus {
  if (token === undefined || token === "") return { state: "none" };
  const payload = decodePayload(token);
  const exp = payload?.exp;
  if (typeof exp !== "number" || !Number.isFinite(exp)) return { state: "unreadable" };
  const secondsLeft = Math.floor(exp - nowMs / 1000);
  const subject = typeof payload?.sub === "string" ? { subject: payload.sub } : {};
  const state = secondsLeft <= 0
    ? "expired"
    : secondsLeft <= EXPIRY_WARNING_S
    ? "expiring"
    : "valid";
  return { state, secondsLeft, ...subject };
}

function decodePayload(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (part === undefined || part.length > 8192) return undefined;
  const bytes = fromBase64Url(part);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** "4m 10s", "45s", "expired". */
export function describeTimeLeft(secondsLeft: number): string {
  if (secondsLeft <= 0) return "expired";
  const m = Math.floor(secondsLeft / 60);
  const s = secondsLeft % 60;
  return m === 0 ? `${s}s` : `${m}m ${s}s`;
}
