/**
 * The Keys screen's filter line: `state:active alg:EC-P256 tag:env:prod pay` narrows the
 * list on the server (state, algorithm, one tag) and by name or id on the client (the
 * remaining words, all of which must match, case-insensitively).
 */

import { ALGORITHM_NAMES } from "../domain/algorithms.ts";
import { KEY_STATES } from "../domain/records.ts";
import type { KeyJson } from "../contract/keys.ts";
import type { KeyQuery } from "./tui_client.ts";

/** A parsed filter line. */
export interface KeyFilter {
  readonly query: KeyQuery;
  /** Words every shown key's name or id must contain. */
  readonly words: readonly string[];
  /** Words that looked like a server filter but named nothing valid. */
  readonly invalid: readonly string[];
}

/** Parses a filter line. */
export function parseKeyFilter(text: string): KeyFilter {
  const query: { algorithm?: string; state?: string; tag?: string } = {};
  const words: string[] = [];
  const invalid: string[] = [];
  for (const word of text.trim().split(/\s+/).filter((w) => w !== "")) {
    const [field, ...rest] = word.split(":");
    const value = rest.join(":");
    const lower = field?.toLowerCase();
    if (lower === "state" && rest.length > 0) {
      if ((KEY_STATES as readonly string[]).includes(value)) query.state = value;
      else invalid.push(word);
    } else if ((lower === "alg" || lower === "algorithm") && rest.length > 0) {
      const alg = ALGORITHM_NAMES.find((a) => a.toLowerCase() === value.toLowerCase());
      if (alg === undefined) invalid.push(word);
      else query.algorithm = alg;
    } else if (lower === "tag" && rest.length > 1 && rest[0] !== "") query.tag = value;
    else words.push(word.toLowerCase());
  }
  return { query, words, invalid };
}

/** True when `key` matches the client-side words of `filter`. */
export function matchesWords(key: KeyJson, filter: KeyFilter): boolean {
  const hay = `${key.name}\n${key.id}`.toLowerCase();
  return filter.words.every((w) => hay.includes(w));
}
