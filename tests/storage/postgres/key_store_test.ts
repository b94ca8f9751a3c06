/** Runs the KeyStore contract against the PostgreSQL adapter. */

import { PostgresKeyStore } from "../../../src/storage/postgres/key_store.ts";
import { keyStoreContract } from "../key_store_contract.ts";
import type { KeyStoreFixture } from "../key_store_fixtures.ts";
import { openPgFixture, PG_SKIP } from "./_fixture.ts";

async function openPostgresFixture(): Promise<KeyStoreFixture> {
  const pg = await openPgFixture();
  let database = pg.database;
  let store = new PostgresKeyStore(database);
  return {
    get store() {
      return store;
    },
    async tamper(id: string, version: number) {
      await pg.exec(
        `UPDATE key_versions SET ciphertext = overlay(ciphertext placing set_byte(substring(ciphertext from 1 for 1), 0, get_byte(ciphertext, 0) # 1) from 1 for 1) WHERE key_id = '${id}' AND version = ${version}`,
      );
    },
    async corruptVersion(id: string, version: number) {
      await pg.exec(
        `UPDATE key_versions SET usage = '{not json' WHERE key_id = '${id}' AND version = ${version}`,
      );
    },
    async corruptRecord(id: string) {
      await pg.exec(`UPDATE keys SET tags = '{not json' WHERE id = '${id}'`);
    },
    async reopen() {
      await store.close();
      database = await pg.open();
      store = new PostgresKeyStore(database);
    },
    async cleanup() {
      await store.close();
      await pg.cleanup();
    },
  };
}

if (PG_SKIP === "") {
  keyStoreContract("PostgresKeyStore", openPostgresFixture, { durable: true, tamperable: true });
} else {
  Deno.test({ name: `PostgresKeyStore contract (skipped: ${PG_SKIP})`, ignore: true, fn() {} });
}
