/**
 * FileKeyStore specifics beyond the shared contract: the on-disk layout, atomic writes
 * that leave no temp files, immutable version files, crash recovery at open, the
 * directory lock and zero-filling on destroy.
 */

import { strict as assert } from "node:assert";
import { FileKeyStore, versionFileName } from "../../../src/storage/file/key_store.ts";
import { assertHsmError, rejectsWith } from "../key_store_contract.ts";
import {
  fakeRecord,
  fakeVersion,
  type FileKeyStoreFixture,
  nextRecord,
  openFileFixture,
} from "../key_store_fixtures.ts";

function fileTest(name: string, body: (fx: FileKeyStoreFixture) => Promise<void>): void {
  Deno.test(name, async () => {
    const fx = await openFileFixture();
    try {
      await body(fx);
    } finally {
      await fx.cleanup();
    }
  });
}

async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(dir)) names.push(item.name);
  return names.sort();
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of Deno.readDir(dir)) {
    const path = `${dir}/${item.name}`;
    if (item.isDirectory) out.push(...await allFiles(path));
    else out.push(path);
  }
  return out;
}

fileTest("a key is a folder of zero-padded version files and a pointer", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  await fx.store.update(nextRecord(record, { currentVersion: 2 }), fakeVersion(record, 2));
  const dir = `${fx.root}/${record.id}`;
  assert.deepStrictEqual(await namesIn(dir), ["current.json", "v00000001.json", "v00000002.json"]);
  const pointer = JSON.parse(await Deno.readTextFile(`${dir}/current.json`));
  assert.equal(pointer.format, 1);
  assert.deepStrictEqual(pointer.versions, [1, 2]);
  assert.equal(pointer.record.currentVersion, 2);
  const version = JSON.parse(await Deno.readTextFile(`${dir}/v00000002.json`));
  assert.equal(typeof version.ciphertext, "string");
  if (Deno.build.os !== "windows") {
    assert.equal(((await Deno.stat(dir)).mode ?? 0) & 0o777, 0o700);
    assert.equal(((await Deno.stat(`${dir}/v00000002.json`)).mode ?? 0) & 0o777, 0o600);
    assert.equal(((await Deno.stat(`${dir}/current.json`)).mode ?? 0) & 0o777, 0o600);
  }
});

fileTest("writes leave no temp files behind", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const rotated = nextRecord(record, { currentVersion: 2 });
  await fx.store.update(rotated, fakeVersion(record, 2));
  await rejectsWith(fx.store.update(nextRecord(rotated), fakeVersion(record, 2)), "conflict");
  const other = fakeRecord();
  await fx.store.create(other, fakeVersion(other, 1));
  await fx.store.destroy(nextRecord(other, { state: "destroyed" }));
  const files = await allFiles(fx.root);
  assert.deepStrictEqual(files.filter((f) => f.endsWith(".tmp")), []);
  assert.deepStrictEqual(await namesIn(`${fx.root}/${other.id}`), ["current.json"]);
});

fileTest("committed version files are never overwritten", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const path = `${fx.root}/${record.id}/${versionFileName(1)}`;
  const bytes = await Deno.readFile(path);
  const inode = (await Deno.stat(path)).ino;
  await rejectsWith(fx.store.update(nextRecord(record), fakeVersion(record, 1)), "conflict");
  let current = record;
  for (const n of [2, 3]) {
    current = nextRecord(current, { currentVersion: n });
    await fx.store.update(current, fakeVersion(record, n));
  }
  assert.deepStrictEqual(await Deno.readFile(path), bytes);
  assert.equal((await Deno.stat(path)).ino, inode);
});

fileTest("a version file written before a crash stays invisible until rewritten", async (fx) => {
  const record = fakeRecord();
  const v1 = fakeVersion(record, 1);
  await fx.store.create(record, v1);
  // A crash after the version file was written but before the pointer moved.
  const orphan = `${fx.root}/${record.id}/${versionFileName(2)}`;
  await Deno.writeTextFile(orphan, '{"half": ');
  assert.equal(await fx.store.getVersion(record.id, 2), undefined);
  assert.deepStrictEqual(await fx.store.listVersions(record.id), [v1]);
  await fx.reopen?.();
  assert.deepStrictEqual(await fx.store.listVersions(record.id), [v1]);
  const v2 = fakeVersion(record, 2);
  await fx.store.update(nextRecord(record, { currentVersion: 2 }), v2);
  assert.deepStrictEqual(await fx.store.getVersion(record.id, 2), v2);
});

fileTest("temp files left by a crash are removed at open", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const dir = `${fx.root}/${record.id}`;
  await Deno.writeTextFile(`${dir}/.current.json.0011223344556677.tmp`, "{}");
  await Deno.writeTextFile(`${dir}/.v00000002.json.8899aabbccddeeff.tmp`, "{}");
  await fx.reopen?.();
  assert.deepStrictEqual(await namesIn(dir), ["current.json", "v00000001.json"]);
  assert.deepStrictEqual(await fx.store.get(record.id), record);
});

fileTest("version files of a destroyed key left by a crash are wiped at open", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const path = `${fx.root}/${record.id}/${versionFileName(1)}`;
  const saved = await Deno.readFile(path);
  await fx.store.destroy(nextRecord(record, { state: "destroyed" }));
  // A crash after the pointer moved but before the wipe finished.
  await Deno.writeFile(path, saved);
  await fx.reopen?.();
  assert.deepStrictEqual(await namesIn(`${fx.root}/${record.id}`), ["current.json"]);
});

fileTest("destroy zero-fills a version file before unlinking it", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const path = `${fx.root}/${record.id}/${versionFileName(1)}`;
  const size = (await Deno.stat(path)).size;
  // An open handle keeps the inode readable after the unlink.
  using held = await Deno.open(path, { read: true });
  await fx.store.destroy(nextRecord(record, { state: "destroyed" }));
  const buf = new Uint8Array(size);
  let read = 0;
  while (read < size) {
    const n = await held.read(buf.subarray(read));
    if (n === null) break;
    read += n;
  }
  assert.equal(read, size);
  assert.ok(buf.every((b) => b === 0));
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

fileTest("a second open of the same directory is refused while the first is open", async (fx) => {
  await assert.rejects(FileKeyStore.open(fx.root), (err: unknown) => {
    assertHsmError(err, "unavailable");
    return true;
  });
  await fx.store.close();
  const again = await FileKeyStore.open(fx.root);
  await again.close();
});

fileTest("a folder without a pointer is ignored and its id stays usable", async (fx) => {
  const id = "key_interrupted_create";
  await Deno.mkdir(`${fx.root}/${id}`);
  await Deno.writeTextFile(`${fx.root}/${id}/${versionFileName(1)}`, "{}");
  await Deno.mkdir(`${fx.root}/not.a.key`);
  await fx.reopen?.();
  assert.equal(await fx.store.get(id), undefined);
  assert.equal((await fx.store.list({ offset: 0, limit: 10 })).total, 0);
  const record = fakeRecord({ id });
  const v1 = fakeVersion(record, 1);
  await fx.store.create(record, v1);
  assert.deepStrictEqual(await fx.store.getVersion(id, 1), v1);
});

fileTest("a key with an unreadable pointer is left out of lists and blocks its id", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  const healthy = fakeRecord();
  await fx.store.create(healthy, fakeVersion(healthy, 1));
  await fx.corruptRecord?.(record.id);
  assert.deepStrictEqual(await fx.store.list({ offset: 0, limit: 10 }), {
    items: [healthy],
    total: 1,
  });
  await rejectsWith(fx.store.create(record, fakeVersion(record, 1)), "conflict");
  await rejectsWith(fx.store.update(nextRecord(record)), "integrity_error");
  await rejectsWith(fx.store.getVersion(record.id, 1), "integrity_error");
});

fileTest("a version file naming another version is an integrity_error", async (fx) => {
  const record = fakeRecord();
  await fx.store.create(record, fakeVersion(record, 1));
  await fx.store.update(nextRecord(record, { currentVersion: 2 }), fakeVersion(record, 2));
  const dir = `${fx.root}/${record.id}`;
  // Swapping files between versions must not pass unnoticed.
  await Deno.copyFile(`${dir}/${versionFileName(2)}`, `${dir}/${versionFileName(1)}`);
  await rejectsWith(fx.store.getVersion(record.id, 1), "integrity_error");
});

fileTest(
  "a purge zero-fills the version file and leaves a stub without sealed bytes",
  async (fx) => {
    const record = fakeRecord();
    const first = fakeVersion(record, 1);
    await fx.store.create(record, first);
    await fx.store.update(nextRecord(record, { currentVersion: 2 }), fakeVersion(record, 2));
    const path = `${fx.root}/${record.id}/${versionFileName(1)}`;
    // Keep a second name on the old inode to see what the purge did to its bytes.
    await Deno.link(path, `${fx.root}/witness`);
    await fx.store.purgeVersion(record.id, 1, new Date().toISOString());
    const old = await Deno.readFile(`${fx.root}/witness`);
    assert.ok(old.length > 0 && old.every((b) => b === 0), "the old file's bytes are zeros");
    const stub = JSON.parse(await Deno.readTextFile(path));
    assert.equal(stub.ciphertext, "");
    assert.equal(stub.nonce, "");
    assert.equal(typeof stub.purgedAt, "string");
  },
);
