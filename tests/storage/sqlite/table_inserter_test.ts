/**
 * TableInserter builds the same INSERT statements as drizzle's query builder (SQL text
 * and driver values), several rows per statement within SQLite's parameter bound.
 */

import { strict as assert } from "node:assert";
import { Buffer } from "node:buffer";
import { openDatabase } from "../../../src/storage/sqlite/database.ts";
import { keys, keyVersions } from "../../../src/storage/sqlite/schema.ts";
import { TableInserter } from "../../../src/storage/sqlite/table_inserter.ts";

const keyRow = (id: string, dualControl: boolean) => ({
  id,
  name: `name-${id}`,
  algorithm: "EC-P256",
  usage: '["sign"]',
  tags: "{}",
  state: "active",
  currentVersion: 1,
  dualControl,
  createdAt: "2026-12-03T00:00:00.000Z",
  updatedAt: "2026-12-03T00:00:00.000Z",
  revision: 1,
  mac: "mac",
  origin: null,
  rotationPeriod: id === "b" ? "P30D" : null,
  minDecryptionVersion: null,
  retentionClass: null,
});

const versionRow = (keyId: string) => ({
  keyId,
  version: 1,
  algorithm: "EC-P256",
  usage: '["sign"]',
  createdAt: "2026-12-03T00:00:00.000Z",
  sourceVersion: null,
  nonce: Buffer.from([1, 2, 3]),
  ciphertext: Buffer.from([4, 5]),
  mac: Buffer.from([6]),
  purgedAt: null,
});

/** Bytes as plain arrays, so Buffer and Uint8Array values compare by content. */
const plain = (args: readonly unknown[]) => args.map((a) => (a instanceof Uint8Array ? [...a] : a));

Deno.test("the statements are drizzle's: same SQL text, same values (booleans as 0/1, nulls, bytes)", async () => {
  const database = await openDatabase(":memory:");
  try {
    const rows = [keyRow("a", true), keyRow("b", false)];
    const expected = database.db.insert(keys).values(rows).toSQL();
    const inserter = new TableInserter(keys);
    const [statement, ...rest] = inserter.statements(rows.map((r) => inserter.row(r)));
    assert.equal(rest.length, 0);
    assert.equal(statement?.sql, expected.sql);
    assert.deepStrictEqual(statement?.args, expected.params);

    const versions = new TableInserter(keyVersions);
    const one = database.db.insert(keyVersions).values(versionRow("a")).toSQL();
    const [built] = versions.statements([versions.row(versionRow("a"))]);
    assert.equal(built?.sql, one.sql);
    assert.deepStrictEqual(plain(built?.args ?? []), plain(one.params));
  } finally {
    database.close();
  }
});

Deno.test("byte values are copied into Uint8Arrays of their own (not views into Buffer's pool)", () => {
  const versions = new TableInserter(keyVersions);
  const source = versionRow("a");
  const row = versions.row(source);
  const nonce = row[6] as Uint8Array;
  assert.equal(nonce.constructor, Uint8Array);
  assert.notEqual(nonce.buffer, source.nonce.buffer);
  assert.equal(nonce.buffer.byteLength, 3);
});

Deno.test("rows are split into statements of at most rowsPerStatement, in order", () => {
  const inserter = new TableInserter(keys, 2);
  const rows = ["a", "b", "c", "d", "e"].map((id) => inserter.row(keyRow(id, false)));
  const statements = inserter.statements(rows);
  assert.deepStrictEqual(statements.map((s) => s.args.length / 16), [2, 2, 1]);
  assert.deepStrictEqual(statements.map((s) => s.args[0]), ["a", "c", "e"]);
  assert.equal(inserter.statements([]).length, 0);
});

Deno.test("a statement never binds more parameters than SQLite allows", () => {
  const inserter = new TableInserter(keys, 1_000_000);
  const rows = Array.from({ length: 2100 }, (_, i) => inserter.row(keyRow(`k${i}`, false)));
  const statements = inserter.statements(rows);
  assert.ok(statements.length > 1);
  for (const s of statements) assert.ok(s.args.length <= 32_766);
  assert.equal(statements.reduce((n, s) => n + s.args.length, 0), 2100 * 16);
});

Deno.test("a row missing a column is refused, not written with a default", () => {
  const inserter = new TableInserter(keys);
  const { retentionClass: _, ...partial } = keyRow("a", false);
  assert.throws(
    () => inserter.row(partial as ReturnType<typeof keyRow>),
    /No value for column retention_class/,
  );
});
