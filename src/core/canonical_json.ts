/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no
 * whitespace, `undefined` members dropped, byte arrays as their base64 text. Used where
 * a value must hash or MAC the same however it was built (audit payloads, approval
 * parameters).
 */

import { toBase64 } from "./encoding.ts";

/**
 * The canonical JSON text of `value` (`undefined` as `null`).
 * @throws TypeError for values JSON cannot represent (functions, bigint, cycles, NaN)
 */
export function canonicalJson(value: unknown): string {
  return canon(value === undefined ? null : value, new Set());
}

function canon(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("Cannot hash a non-finite number");
    return JSON.stringify(value);
  }
  if (typeof value !== "object") throw new TypeError(`Cannot hash a value of type ${typeof value}`);
  if (value instanceof Uint8Array) return JSON.stringify(toBase64(value));
  if (seen.has(value)) throw new TypeError("Cannot hash a cyclic value");
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return canon(toJSON.call(value), seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((v) => (v === undefined ? "null" : canon(v, seen))).join(",")}]`;
    }
    const obj = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const v = obj[key];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      members.push(`${JSON.stringify(key)}:${canon(v, seen)}`);
    }
    return `{${members.join(",")}}`;
  } finally {
    seen.delete(value);
  }
}
