/**
 * Opening the shared database: migrations applied once however many nodes start at the
 * same time, and TLS to the database verified against the configured CA.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { openPostgres } from "../../../src/storage/postgres/database.ts";
import { hasOpenssl, makePki } from "../../../testing/pki.ts";
import { sharedPostgres, startPostgres } from "../../../testing/postgres.ts";
import { pgTest } from "./_fixture.ts";

pgTest("nodes starting together on a new database migrate it once", async () => {
  const pg = await sharedPostgres();
  const url = pg.url(await pg.createDatabase("ferrohsm_migrate"));
  const nodes = await Promise.all(
    Array.from({ length: 4 }, (_, i) => openPostgres({ url, nodeId: `n${i}`, maxConnections: 1 })),
  );
  try {
    const applied = await (nodes[0] as (typeof nodes)[number])
      .sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    const journal = JSON.parse(
      await Deno.readTextFile(
        new URL("../../../migrations/postgres/meta/_journal.json", import.meta.url),
      ),
    );
    assert.equal(applied[0]?.n, journal.entries.length);
    const head = await (nodes[1] as (typeof nodes)[number])
      .sql`select seq::int as seq, mac from audit_head`;
    assert.deepEqual([...head], [{ seq: 0, mac: "" }]);
  } finally {
    for (const node of nodes) await node.close();
  }
});

pgTest("TLS to the database is verified against the CA file", async () => {
  if (!hasOpenssl) return;
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-pg-tls-" });
  const pki = await makePki(dir);
  const pg = await startPostgres({ tls: pki.server });
  try {
    const url = pg.url();
    const trusted = await openPostgres({ url, caFile: pki.ca, skipMigrations: true });
    try {
      const rows = await trusted.sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      assert.equal(rows[0]?.ssl, true);
    } finally {
      await trusted.close();
    }
    const rogue = await openPostgres({
      url,
      caFile: join(dir, "other-ca.pem"),
      skipMigrations: true,
    });
    try {
      await assert.rejects(rogue.sql`select 1`);
    } finally {
      await rogue.close();
    }
  } finally {
    await pg.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
