/**
 * Argument parsers for commander options. Each throws commander's
 * InvalidArgumentError, which the CLI maps to exit code 2.
 */

import { InvalidArgumentError } from "commander";

/** Parses a whole number ≥ `min`. */
export function intAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`Expected a whole number of at least ${min}.`);
    }
    return n;
  };
}

/** Parses a positive whole number. */
export const positiveInt: (value: string) => number = intAtLeast(1);

/** Collects repeated `k=v` options into a record. */
export function collectTag(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const at = value.indexOf("=");
  if (at < 1) throw new InvalidArgumentError("Expected key=value.");
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Parses a comma-separated list, checking each item against `allowed`. */
export function listOf(allowed: readonly string[]): (value: string) => string[] {
  return (value) => {
    const items = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
    const bad = items.find((v) => !allowed.includes(v));
    if (bad !== undefined || items.length === 0) {
      throw new InvalidArgumentError(`Expected a comma-separated list of ${allowed.join(", ")}.`);
    }
    return items;
  };
}
