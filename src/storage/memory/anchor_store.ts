/**
 * The audit anchor held in memory, for tests and benchmarks.
 */

import type { AnchorRecord } from "../../domain/audit_entry.ts";
import type { AnchorStore } from "../ports.ts";

/** Anchor held in memory (tests). */
export class MemoryAnchorStore implements AnchorStore {
  /** The stored anchor; tests may overwrite it. */
  record: AnchorRecord | undefined;

  read(): Promise<AnchorRecord | undefined> {
    return Promise.resolve(this.record);
  }

  write(record: AnchorRecord): Promise<void> {
    this.record = record;
    return Promise.resolve();
  }
}
