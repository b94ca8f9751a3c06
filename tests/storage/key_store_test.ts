/** Runs the KeyStore contract against the memory, file and SQLite adapters. */

import { keyStoreContract } from "./key_store_contract.ts";
import { openFileFixture, openMemoryFixture, openSqliteFixture } from "./key_store_fixtures.ts";

keyStoreContract("MemoryKeyStore", openMemoryFixture);
keyStoreContract("FileKeyStore", openFileFixture, { durable: true, tamperable: true });
keyStoreContract("SqliteKeyStore", openSqliteFixture, { durable: true, tamperable: true });
keyStoreContract(
  "SqliteKeyStore with key creations on a writer thread",
  () => openSqliteFixture({ writerThread: true }),
  { durable: true, tamperable: true },
);
