/**
 * Bulk-loads keys into a SQLite key store for the scale and soak benchmarks, through
 * the real `SqliteKeyStore` with records MAC'd and versions sealed by the real `Sealer`
 * under the installation's root keys, so the server reads them like keys it created.
 * Generating 100 k EC-P256 pairs would take minutes, so AES-256-GCM keys get fresh
 * random material and EC-P256 keys share one generated PKCS#8 material, sealed per key
 * (own nonce, AAD and MAC).
 *
 * Caveat: the loading connection runs with `PRAGMA synchronous=OFF` (one fsync per key
 * would take minutes); the data is flushed by the close, and the server reopens the
 * file with its own `synchronous=FULL`. Benchmark data only.
 */

import type { Algorithm, Usage } from "../src/domain/algorithms.ts";
import { algorithmInfo } from "../src/core/algorithms.ts";
import { readRootSecret } from "../src/config/secrets.ts";
import { RootKeys } from "../src/core/master_key.ts";
import { providerFor } from "../src/core/providers/index.ts";
import { Sealer } from "../src/core/sealing.ts";
import { openDatabase } from "../src/storage/sqlite/database.ts";
import { SqliteKeyStore } from "../src/storage/sqlite/key_store.ts";

/** The installation's sealer (derived from its root secret files). */
export async function sealerFor(masterKeyFile: string, hmacKeyFile: string): Promise<Sealer> {
  const master = await readRootSecret(masterKeyFile, "master key");
  const hmac = await readRootSecret(hmacKeyFile, "HMAC key");
  return new Sealer(await RootKeys.derive(master, hmac));
}

/** Which algorithm key number `i` gets: `mix` cycles (e.g. AES, EC, AES, EC, ...). */
export type KeyMix = readonly Algorithm[];

/**
 * Adds keys `from`..`to - 1` to the SQLite database at `sqlitePath`; returns their ids
 * by algorithm. Ids are `bench-<algorithm>-<n>` shaped UUIDs so reruns never collide.
 */
export async function populateKeys(
  sqlitePath: string,
  sealer: Sealer,
  range: { from: number; to: number },
  mix: KeyMix = ["AES-256-GCM"],
  onProgress?: (done: number) => void,
): Promise<Map<Algorithm, string[]>> {
  const database = await openDatabase(sqlitePath);
  await database.client.execute("PRAGMA synchronous=OFF");
  const store = new SqliteKeyStore(database);
  const shared = new Map<Algorithm, Uint8Array>();
  for (const algorithm of new Set(mix)) {
    if (algorithm !== "AES-256-GCM" && algorithm !== "HMAC-SHA256") {
      shared.set(algorithm, await providerFor(algorithm).generate(algorithm));
    }
  }
  const ids = new Map<Algorithm, string[]>();
  try {
    for (let i = range.from; i < range.to; i++) {
      const algorithm = mix[i % mix.length] as Algorithm;
      const info = algorithmInfo(algorithm);
      if (info === undefined) throw new TypeError(`unknown algorithm ${algorithm}`);
      const usage: Usage[] = [...info.defaultUsages];
      const id = crypto.randomUUID();
      const now = new Date().toISOString();
      const material = shared.get(algorithm) ?? crypto.getRandomValues(new Uint8Array(32));
      const sealed = await sealer.seal(
        { keyId: id, version: 1, algorithm, usage, createdAt: now },
        material,
      );
      const record = await sealer.macRecord({
        id,
        name: `bench-${i}`,
        algorithm,
        usage,
        tags: { bench: "scale", group: String(i % 10) },
        state: "active",
        currentVersion: 1,
        dualControl: false,
        createdAt: now,
        updatedAt: now,
        revision: 1,
      });
      await store.create(record, sealed);
      let list = ids.get(algorithm);
      if (list === undefined) ids.set(algorithm, list = []);
      list.push(id);
      if (onProgress !== undefined && (i + 1) % 10_000 === 0) onProgress(i + 1);
    }
  } finally {
    for (const m of shared.values()) m.fill(0);
    await store.close();
    database.close();
  }
  return ids;
}
