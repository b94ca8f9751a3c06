/**
 * What key listings learn for the next ones (issue 12): the total matching count per
 * filter, and the position of the last key of each page served, so `GET /api/v1/keys`
 * neither runs `COUNT(*)` over the table on every request nor OFFSET-scans to reach the
 * next page. Both are shared by every actor (the store's answer does not depend on who
 * asks) and are valid for one listing-cache generation: any key write, here or (in a
 * cluster) on another node, bumps the generation and they are dropped, so the first
 * listing after a write counts again.
 *
 * Hints handed to the store: `total` (the store skips counting and may read a page near
 * the end backwards from it) and, when the previous position is known, an `after` cursor
 * with offset 0 instead of the offset (a keyset seek).
 *
 * Bounded: at most `maxEntries` totals and positions, dropped wholesale when full.
 * Caveat: a total learnt just before another node's write lags until that node's change
 * notice arrives, as cached pages do.
 */

import type { KeyRecord } from "../domain/records.ts";
import type { KeyCursor, KeyListPage, KeyListQuery } from "../storage/ports.ts";

/** How many totals and page positions are kept per generation by default. */
export const DEFAULT_LIST_HINT_ENTRIES = 4096;

/** Totals and page-end positions learnt from listings, for one generation at a time. */
export class ListHints {
  readonly #maxEntries: number;
  #generation = -1;
  readonly #totals = new Map<string, number>();
  readonly #ends = new Map<string, KeyCursor>();

  /** @throws RangeError when `maxEntries` is not a positive integer */
  constructor(maxEntries = DEFAULT_LIST_HINT_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    this.#maxEntries = maxEntries;
  }

  /** `query` with what is known at `generation`: a `total`, and a cursor for the offset. */
  apply(query: KeyListQuery, generation: number): KeyListQuery {
    this.#at(generation);
    const filter = filterKey(query);
    const total = this.#totals.get(filter);
    let out: KeyListQuery = total === undefined ? query : { ...query, total };
    if (query.after === undefined && query.before === undefined && query.offset > 0) {
      const end = this.#ends.get(`${filter}@${query.offset - 1}`);
      if (end !== undefined) out = { ...out, offset: 0, after: end };
    }
    return out;
  }

  /** Records the total of `query`'s filter and where its page ended (absolute position). */
  learn(query: KeyListQuery, page: KeyListPage, generation: number): void {
    this.#at(generation);
    if (this.#totals.size >= this.#maxEntries || this.#ends.size >= this.#maxEntries) {
      this.#totals.clear();
      this.#ends.clear();
    }
    const filter = filterKey(query);
    this.#totals.set(filter, page.total);
    // A page asked by offset has an absolute position; by cursor, only when it was ours.
    if (query.after !== undefined || query.before !== undefined) return;
    const last: KeyRecord | undefined = page.items.at(-1);
    if (last === undefined || page.items.length < query.limit) return;
    this.#ends.set(`${filter}@${query.offset + page.items.length - 1}`, {
      createdAt: last.createdAt,
      id: last.id,
    });
  }

  /** Entries held (totals, positions). */
  size(): { totals: number; positions: number } {
    return { totals: this.#totals.size, positions: this.#ends.size };
  }

  /** Drops everything learnt in an older generation. */
  #at(generation: number): void {
    if (generation === this.#generation) return;
    this.#generation = generation;
    this.#totals.clear();
    this.#ends.clear();
  }
}

/** The filters of a query (what `total` depends on), as a map key. */
function filterKey(q: KeyListQuery): string {
  return JSON.stringify([
    q.algorithm ?? null,
    q.state ?? null,
    q.tag?.key ?? null,
    q.tag?.value ?? null,
    q.nameContains ?? null,
  ]);
}
