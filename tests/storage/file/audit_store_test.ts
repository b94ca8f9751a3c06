import assert from "node:assert/strict";
import { isHsmError } from "../../../src/domain/errors.ts";
import type { AuditEntry } from "../../../src/domain/audit_entry.ts";
import { FileAuditStore } from "../../../src/storage/file/audit_store.ts";
import { serializeEntry } from "../../../src/domain/audit_entry.ts";
import { chainOf, tempDir, testMacKey } from "../../audit/_helpers.ts";
import { auditStoreContract } from "../audit_store_contract.ts";

auditStoreContract("FileAuditStore", async () => {
  const dir = await tempDir();
  const store = await FileAuditStore.open(`${dir}/audit/audit.log`, { indexEvery: 4 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function collect(it: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

Deno.test("FileAuditStore writes one JSON line per entry in the contract's key order", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const store = await FileAuditStore.open(path);
    const entries = await chainOf(await testMacKey(), 3);
    await store.append(entries);
    await store.close();
    assert.equal(
      await Deno.readTextFile(path),
      entries.map((e) => `${serializeEntry(e)}\n`).join(""),
    );
    assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o600);
  }));

Deno.test("a second open of a locked audit log fails fast with a clear error", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const first = await FileAuditStore.open(path);
    await assert.rejects(
      FileAuditStore.open(path),
      (err) => isHsmError(err, "unavailable") && /locked by another process/.test(err.message),
    );
    await first.close();
    const again = await FileAuditStore.open(path);
    await again.close();
  }));

Deno.test("a second process cannot open a locked audit log", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const store = await FileAuditStore.open(path);
    try {
      const moduleUrl = new URL("../../../src/storage/file/audit_store.ts", import.meta.url).href;
      const code = `import { FileAuditStore } from ${JSON.stringify(moduleUrl)};
        try { await FileAuditStore.open(${JSON.stringify(path)}); Deno.exit(0); }
        catch (e) { Deno.exit(e.code === "unavailable" ? 3 : 1); }`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", code],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.equal(out.code, 3);
    } finally {
      await store.close();
    }
  }));

Deno.test("a torn final line is trimmed at open and reported", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const key = await testMacKey();
    const entries = await chainOf(key, 4);
    let store = await FileAuditStore.open(path);
    await store.append(entries.slice(0, 3));
    await store.close();
    const intact = await Deno.readTextFile(path);
    const torn = serializeEntry(entries[3] as AuditEntry).slice(0, 40);
    await Deno.writeTextFile(path, torn, { append: true });

    store = await FileAuditStore.open(path);
    assert.deepEqual(store.openReport, {
      path,
      created: false,
      entries: 3,
      tornTailBytes: 40,
    });
    assert.equal(await Deno.readTextFile(path), intact);
    await store.append([entries[3] as AuditEntry]);
    assert.deepEqual(await collect(store.scan()), entries);
    await store.close();
  }));

Deno.test("a malformed complete last line makes open refuse", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    let store = await FileAuditStore.open(path);
    await store.append(await chainOf(await testMacKey(), 2));
    await store.close();
    await Deno.writeTextFile(path, "not json\n", { append: true });
    await assert.rejects(FileAuditStore.open(path), (err) => isHsmError(err, "integrity_error"));
    // The lock is released on failure.
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace("not json\n", ""));
    store = await FileAuditStore.open(path);
    assert.equal((await store.last())?.seq, 2);
    await store.close();
  }));

Deno.test("a malformed line in the middle fails scan with integrity_error", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const entries = await chainOf(await testMacKey(), 3);
    await Deno.writeTextFile(
      path,
      `${serializeEntry(entries[0] as AuditEntry)}\n{}\n${
        serializeEntry(entries[2] as AuditEntry)
      }\n`,
    );
    const store = await FileAuditStore.open(path);
    await assert.rejects(collect(store.scan()), (err) => isHsmError(err, "integrity_error"));
    await store.close();
  }));

Deno.test("list pages through many index points after a reopen", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const entries = await chainOf(await testMacKey(), 50);
    let store = await FileAuditStore.open(path, { indexEvery: 4 });
    for (let i = 0; i < 50; i += 7) await store.append(entries.slice(i, i + 7));
    await store.close();
    store = await FileAuditStore.open(path, { indexEvery: 4 });
    assert.equal(store.openReport.entries, 50);
    for (let after = 0; after <= 50; after++) {
      assert.deepEqual(
        await store.list(after, 3),
        entries.slice(after, after + 3),
        `after ${after}`,
      );
    }
    assert.deepEqual(await store.list(0, 100), entries);
    await store.close();
  }));

Deno.test("appends continue the sequence after a reopen and refuse a gap", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const entries = await chainOf(await testMacKey(), 6);
    let store = await FileAuditStore.open(path);
    await store.append(entries.slice(0, 3));
    await store.close();
    store = await FileAuditStore.open(path);
    await assert.rejects(store.append(entries.slice(4)), RangeError);
    await store.append(entries.slice(3));
    assert.deepEqual(await collect(store.scan()), entries);
    await store.close();
  }));

Deno.test("an append refuses when another writer changed the file", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const entries = await chainOf(await testMacKey(), 2);
    const store = await FileAuditStore.open(path);
    await store.append(entries.slice(0, 1));
    await Deno.writeTextFile(path, "intruder\n", { append: true });
    await assert.rejects(
      store.append(entries.slice(1)),
      (err) => isHsmError(err, "integrity_error"),
    );
    await store.close();
  }));

Deno.test("a read-only open takes no lock and ignores an incomplete last line", () =>
  withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    const entries = await chainOf(await testMacKey(), 3);
    const writer = await FileAuditStore.open(path);
    await writer.append(entries);
    await Deno.writeTextFile(path, '{"seq":4', { append: true });
    const reader = await FileAuditStore.open(path, { readOnly: true });
    assert.deepEqual(await collect(reader.scan()), entries);
    assert.deepEqual(await reader.last(), entries[2]);
    assert.deepEqual(await reader.list(1, 10), entries.slice(1));
    await assert.rejects(reader.append(entries), TypeError);
    await reader.close();
    await writer.close();
    await assert.rejects(
      FileAuditStore.open(`${dir}/missing.log`, { readOnly: true }),
      (err) => isHsmError(err, "not_found"),
    );
  }));
