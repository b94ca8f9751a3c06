/**
 * Multi-row INSERT statements for one drizzle table, with the SQL text built from the
 * schema once per row count instead of through drizzle's query builder for every
 * statement. Values are put in the table's column order and passed through each column's
 * own driver encoder (`mapToDriverValue`: booleans become 0/1...), so the statements are
 * the ones drizzle produces for the same rows (tested against `toSQL()`).
 *
 * Why: the SQLite key store group-commits key creations, and building each creation's
 * statements with drizzle's builder and `toSQL()` cost ≈ 100 µs of the event loop per key
 * (issue 12's profile of `create`); several keys' rows also go in one statement per table.
 */

import { type Column, getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** A statement for the libSQL client: SQL text with `?` placeholders and its values. */
export interface RawStatement {
  readonly sql: string;
  readonly args: unknown[];
}

/** SQLite's default bound on the `?` parameters of one statement. */
const MAX_PARAMETERS = 32_766;

/** Builds INSERT statements for `table` from rows given by field name. */
export class TableInserter<T extends SQLiteTable> {
  readonly #columns: readonly (readonly [string, Column])[];
  readonly #head: string;
  readonly #rowSql: string;
  readonly #rowsPerStatement: number;
  readonly #sqlByCount = new Map<number, string>();

  /** `rowsPerStatement` is capped so one statement never exceeds SQLite's parameter bound. */
  constructor(table: T, rowsPerStatement = 256) {
    this.#columns = Object.entries(getTableColumns(table) as Record<string, Column>);
    const names = this.#columns.map(([, c]) => `"${c.name}"`).join(", ");
    this.#head = `insert into "${getTableName(table)}" (${names}) values `;
    this.#rowSql = `(${this.#columns.map(() => "?").join(", ")})`;
    this.#rowsPerStatement = Math.max(
      1,
      Math.min(rowsPerStatement, Math.floor(MAX_PARAMETERS / this.#columns.length)),
    );
  }

  /**
   * One row's values in column order, each through its column's driver encoder; byte
   * values are copied into `Uint8Array`s of their own (safe to post to a worker thread).
   * @throws TypeError when a column has no value (give null for SQL NULL)
   */
  row(values: T["$inferInsert"]): unknown[] {
    const fields = values as Record<string, unknown>;
    const out = new Array<unknown>(this.#columns.length);
    for (let i = 0; i < this.#columns.length; i++) {
      const [field, column] = this.#columns[i] as readonly [string, Column];
      const value = fields[field];
      if (value === undefined) throw new TypeError(`No value for column ${column.name}`);
      const encoded = value === null ? null : column.mapToDriverValue(value);
      out[i] = encoded instanceof Uint8Array ? new Uint8Array(encoded) : encoded;
    }
    return out;
  }

  /** INSERT statements for `rows` (from `row`), in order, several rows per statement. */
  statements(rows: readonly unknown[][]): RawStatement[] {
    const out: RawStatement[] = [];
    for (let at = 0; at < rows.length; at += this.#rowsPerStatement) {
      const chunk = rows.slice(at, at + this.#rowsPerStatement);
      out.push({ sql: this.#sql(chunk.length), args: chunk.flat() });
    }
    return out;
  }

  #sql(count: number): string {
    let sql = this.#sqlByCount.get(count);
    if (sql === undefined) {
      sql = this.#head + Array<string>(count).fill(this.#rowSql).join(", ");
      // Small groups recur; a burst's odd sizes are not worth keeping.
      if (count <= 64) this.#sqlByCount.set(count, sql);
    }
    return sql;
  }
}
