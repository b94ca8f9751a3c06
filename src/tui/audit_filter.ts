/**
 * The Audit screen's filter line: `actor:alice action:key.rotate key:ID result:ok` and
 * free words; an entry is shown when every part matches (field parts as substrings of
 * that field, free words of any field), case-insensitively.
 */

import type { AuditEntryJson } from "../contract/audit.ts";

const FIELDS = ["actor", "action", "key", "result"] as const;

/** A parsed audit filter. */
export interface AuditFilter {
  readonly fields: readonly (readonly [typeof FIELDS[number], string])[];
  readonly words: readonly string[];
}

/** Parses a filter line. */
export function parseAuditFilter(text: string): AuditFilter {
  const fields: [typeof FIELDS[number], string][] = [];
  const words: string[] = [];
  for (const word of text.trim().toLowerCase().split(/\s+/).filter((w) => w !== "")) {
    const at = word.indexOf(":");
    const field = FIELDS.find((f) => f === word.slice(0, at));
    if (at > 0 && field !== undefined) fields.push([field, word.slice(at + 1)]);
    else words.push(word);
  }
  return { fields, words };
}

function fieldOf(e: AuditEntryJson, field: typeof FIELDS[number]): string {
  return (field === "key" ? e.key_id ?? "" : e[field]).toLowerCase();
}

/** True when `entry` matches `filter`. */
export function matchesAudit(entry: AuditEntryJson, filter: AuditFilter): boolean {
  return filter.fields.every(([f, v]) => fieldOf(entry, f).includes(v)) &&
    filter.words.every((w) => FIELDS.some((f) => fieldOf(entry, f).includes(w)));
}
