/**
 * Archived audit segments and the live log's base on PostgreSQL, shared by every node
 * like the live log they come from (a per-node archive folder would leave the other
 * nodes a log that starts after seq 1 with no base to explain it). A segment is one
 * immutable row — the entries as JSON lines, exactly as the log held them — named like
 * the file adapter's (`audit-<from>-<to>.log`); the base is one row (id 1) replaced in a
 * transaction. Rows are trusted by nothing: reading re-parses every line, and the
 * archiver and verification check MACs and links (`audit_archive.ts`).
 *
 * Caveat: the archive lives in the same database as the live log, so archiving bounds
 * the live table (and every scan of it) but not the database; export segments (`SELECT
 * entries FROM audit_archive_segments`) to keep copies elsewhere.
 */

import { eq } from "drizzle-orm";
import {
  type AuditBase,
  type AuditEntry,
  isAuditBase,
  parseAuditEntry,
  serializeEntry,
} from "../../domain/audit_entry.ts";
import { HsmError } from "../../domain/errors.ts";
import type { AuditArchiveStore } from "../ports.ts";
import { isUniqueViolation } from "./constraint.ts";
import type { PostgresDatabase } from "./database.ts";
import { auditArchiveBase, auditArchiveSegments } from "./schema.ts";

/** The id of the one base row. */
const BASE = 1;

/** An AuditArchiveStore over the `audit_archive_segments` and `audit_archive_base` tables. */
export class PostgresAuditArchiveStore implements AuditArchiveStore {
  readonly #database: PostgresDatabase;

  /** A store over an open database (closed by its owner). */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Writes a segment (entries in seq order) as a new row; resolves with its name. */
  async writeSegment(entries: readonly AuditEntry[]): Promise<string> {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (first === undefined || last === undefined) throw new RangeError("An empty segment");
    const name = `audit-${pad(first.seq)}-${pad(last.seq)}.log`;
    try {
      await this.#database.db.insert(auditArchiveSegments).values({
        name,
        firstSeq: first.seq,
        lastSeq: last.seq,
        entries: entries.map((e) => `${serializeEntry(e)}\n`).join(""),
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new HsmError("conflict", `Audit archive segment ${name} exists`, { cause: err });
      }
      throw err;
    }
    return name;
  }

  /** The entries of a segment, in order. @throws HsmError("not_found" | "integrity_error") */
  async *readSegment(name: string): AsyncGenerator<AuditEntry> {
    const rows = await this.#database.db.select({ entries: auditArchiveSegments.entries })
      .from(auditArchiveSegments).where(eq(auditArchiveSegments.name, name)).limit(1);
    const text = rows[0]?.entries;
    if (text === undefined) {
      throw new HsmError("not_found", `Audit archive segment ${name} is missing`);
    }
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : [text];
    for (const [i, line] of lines.entries()) {
      let entry: AuditEntry | undefined;
      try {
        entry = parseAuditEntry(JSON.parse(line));
      } catch {
        entry = undefined;
      }
      if (entry === undefined) {
        throw new HsmError(
          "integrity_error",
          `Audit archive segment ${name} line ${i + 1} is not an entry`,
        );
      }
      yield entry;
    }
  }

  /** The base, or undefined when nothing was archived. @throws HsmError("integrity_error") */
  async readBase(): Promise<AuditBase | undefined> {
    const rows = await this.#database.db.select({ body: auditArchiveBase.body })
      .from(auditArchiveBase).where(eq(auditArchiveBase.id, BASE)).limit(1);
    const body = rows[0]?.body;
    if (body === undefined) return undefined;
    let base: unknown;
    try {
      base = JSON.parse(body);
    } catch {
      base = undefined;
    }
    if (!isAuditBase(base)) throw new HsmError("integrity_error", "Audit base is malformed");
    return { seq: base.seq, hash: base.hash, segments: [...base.segments], mac: base.mac };
  }

  /** Replaces the base in one statement. */
  async writeBase(base: AuditBase): Promise<void> {
    const body = JSON.stringify({
      seq: base.seq,
      hash: base.hash,
      segments: base.segments,
      mac: base.mac,
    });
    await this.#database.db.insert(auditArchiveBase).values({ id: BASE, body })
      .onConflictDoUpdate({ target: auditArchiveBase.id, set: { body } });
  }
}

function pad(seq: number): string {
  return String(seq).padStart(12, "0");
}
