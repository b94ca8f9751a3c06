/**
 * Test helper: asserts that a LoadedKey offers the named methods and narrows its type so
 * tests can call them without non-null assertions.
 */

import assert from "node:assert/strict";
import type { LoadedKey } from "../../../src/core/provider.ts";

/** A LoadedKey whose methods `K` are known to be present. */
export type KeyWith<K extends keyof LoadedKey> = LoadedKey & Required<Pick<LoadedKey, K>>;

/** Asserts each named method is a function and returns the key typed accordingly. */
export function expectMethods<K extends keyof LoadedKey>(
  key: LoadedKey,
  ...names: K[]
): KeyWith<K> {
  for (const name of names) assert.equal(typeof key[name], "function", `${name} should be defined`);
  return key as KeyWith<K>;
}

/** Asserts that each named method is absent (undefined) on `key`. */
export function expectNoMethods(key: LoadedKey, ...names: (keyof LoadedKey)[]): void {
  for (const name of names) assert.equal(key[name], undefined, `${name} should be undefined`);
}
