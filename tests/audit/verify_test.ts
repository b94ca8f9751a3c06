import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { FileAuditStore } from "../../src/storage/file/audit_store.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { SqliteAuditStore } from "../../src/storage/sqlite/audit_store.ts";
import type { AuditStore } from "../../src/storage/ports.ts";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { signAnchor } from "../../src/audit/anchor.ts";
import { entryHash } from "../../src/audit/chain.ts";
import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import { FileAnchorStore } from "../../src/storage/file/anchor_store.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { auditPaths, verifyAuditStore } from "../../src/server/audit_files.ts";
import { chainOf, RAW_HMAC_KEY, tempDir, testMacKey } from "./_helpers.ts";

type Kind = "file" | "sqlite";

/** Writes `n` entries (in a few batches) through the real service and store, then closes. */
async function writeLog(dataDir: string, kind: Kind, n: number, actor = "alice"): Promise<string> {
  const paths = auditPaths(dataDir);
  const key = await testMacKey();
  let store: AuditStore;
  let close: () => Promise<void>;
  if (kind === "file") {
    const file = await FileAuditStore.open(paths.logFile);
    store = file;
    close = () => file.close();
  } else {
    const database = await openDatabase(paths.sqliteFile);
    store = new SqliteAuditStore(database);
    close = () => Promise.resolve(database.close());
  }
  await Deno.mkdir(paths.dir, { recursive: true });
  const anchor = new FileAnchorStore(kind === "file" ? paths.fileAnchor : paths.sqliteAnchor);
  const log = await AuditLog.open(store, key, { anchor });
  for (let i = 0; i < n; i += 4) {
    const size = Math.min(4, n - i);
    await Promise.all(
      Array.from(
        { length: size },
        (_, j) =>
          log.append({
            actor,
            action: "key.encrypt",
            keyId: "k1",
            result: "ok",
            payload: { i: i + j },
          }),
      ),
    );
  }
  const head = log.head().hash;
  await log.close();
  await close();
  return head;
}

async function editLines(dataDir: string, fn: (lines: string[]) => string[]): Promise<void> {
  const path = auditPaths(dataDir).logFile;
  const lines = (await Deno.readTextFile(path)).split("\n").slice(0, -1);
  const out = fn(lines);
  await Deno.writeTextFile(path, out.length === 0 ? "" : `${out.join("\n")}\n`);
}

async function sql(dataDir: string, ...statements: string[]): Promise<void> {
  const database = await openDatabase(auditPaths(dataDir).sqliteFile);
  try {
    for (const s of statements) await database.client.execute(s);
  } finally {
    database.close();
  }
}

function verify(dataDir: string, store: Kind, hmacKey = RAW_HMAC_KEY) {
  return verifyAuditStore({ dataDir, hmacKey, store });
}

async function withLog(
  kind: Kind,
  fn: (dataDir: string, head: string) => Promise<void>,
): Promise<void> {
  const dataDir = await tempDir();
  try {
    await fn(dataDir, await writeLog(dataDir, kind, 10));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Replaces entry 5 with entry 5 of another log under the same key: authentic but foreign. */
async function foreignEntry5(kind: Kind): Promise<{ line: string; row: Record<string, unknown> }> {
  const dataDir = await tempDir();
  try {
    await writeLog(dataDir, kind, 5, "eve");
    if (kind === "file") {
      const store = await FileAuditStore.open(auditPaths(dataDir).logFile);
      const [e] = await store.list(4, 1);
      await store.close();
      return { line: JSON.stringify(e), row: { ...e } };
    }
    const database = await openDatabase(auditPaths(dataDir).sqliteFile);
    const [e] = await new SqliteAuditStore(database).list(4, 1);
    database.close();
    return { line: JSON.stringify(e), row: { ...e } };
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

for (const kind of ["file", "sqlite"] as const) {
  Deno.test(`${kind} store: an intact log verifies with its entry count and head`, () =>
    withLog(kind, async (dataDir, head) => {
      assert.deepEqual(await verify(dataDir, kind), { valid: true, entries: 10, head });
    }));

  Deno.test(`${kind} store: verification with the wrong HMAC key fails at seq 1`, () =>
    withLog(kind, async (dataDir) => {
      assert.deepEqual(await verify(dataDir, kind, new Uint8Array(32)), {
        valid: false,
        first_bad_seq: 1,
        reason: "mac_mismatch",
      });
    }));

  Deno.test(`${kind} store: an edited entry is a mac_mismatch at its seq`, () =>
    withLog(kind, async (dataDir) => {
      if (kind === "file") {
        await editLines(
          dataDir,
          (ls) => ls.map((l, i) => (i === 4 ? l.replace('"alice"', '"mallory"') : l)),
        );
      } else {
        await sql(dataDir, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5");
      }
      assert.deepEqual(await verify(dataDir, kind), {
        valid: false,
        first_bad_seq: 5,
        reason: "mac_mismatch",
      });
    }));

  Deno.test(`${kind} store: a deleted entry is a sequence_gap at its seq`, () =>
    withLog(kind, async (dataDir) => {
      if (kind === "file") await editLines(dataDir, (ls) => ls.filter((_, i) => i !== 4));
      else await sql(dataDir, "DELETE FROM audit_entries WHERE seq = 5");
      assert.deepEqual(await verify(dataDir, kind), {
        valid: false,
        first_bad_seq: 5,
        reason: "sequence_gap",
      });
    }));

  Deno.test(`${kind} store: a truncated tail is detected through the anchor`, () =>
    withLog(kind, async (dataDir) => {
      if (kind === "file") await editLines(dataDir, (ls) => ls.slice(0, 7));
      else await sql(dataDir, "DELETE FROM audit_entries WHERE seq > 7");
      assert.deepEqual(await verify(dataDir, kind), {
        valid: false,
        first_bad_seq: 8,
        reason: "truncated",
      });
    }));

  Deno.test(`${kind} store: an authentic entry spliced from another log breaks the chain`, () =>
    withLog(kind, async (dataDir) => {
      const foreign = await foreignEntry5(kind);
      if (kind === "file") {
        await editLines(dataDir, (ls) => ls.map((l, i) => (i === 4 ? foreign.line : l)));
      } else {
        const r = foreign.row;
        await sql(
          dataDir,
          `UPDATE audit_entries SET ts = '${r.ts}', actor = '${r.actor}', payload_hash = '${r.payload_hash}', prev_hash = '${r.prev_hash}', mac = '${r.mac}' WHERE seq = 5`,
        );
      }
      assert.deepEqual(await verify(dataDir, kind), {
        valid: false,
        first_bad_seq: 5,
        reason: "chain_broken",
      });
    }));
}

Deno.test("file store: swapped entries are a sequence_gap at the first displaced seq", () =>
  withLog("file", async (dataDir) => {
    await editLines(
      dataDir,
      (ls) => [...ls.slice(0, 3), ls[4] as string, ls[3] as string, ...ls.slice(5)],
    );
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 4,
      reason: "sequence_gap",
    });
  }));

Deno.test("file store: a replayed entry is out_of_order", () =>
  withLog("file", async (dataDir) => {
    await editLines(dataDir, (ls) => [...ls.slice(0, 6), ls[5] as string, ...ls.slice(6)]);
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 7,
      reason: "out_of_order",
    });
  }));

Deno.test("file store: an unparseable line is a malformed_entry", () =>
  withLog("file", async (dataDir) => {
    await editLines(dataDir, (ls) => ls.map((l, i) => (i === 2 ? l.slice(0, -1) : l)));
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 3,
      reason: "malformed_entry",
    });
  }));

Deno.test("sqlite store: swapping two rows' seq is a mac_mismatch at the lower seq", () =>
  withLog("sqlite", async (dataDir) => {
    await sql(
      dataDir,
      "UPDATE audit_entries SET seq = -1 WHERE seq = 4",
      "UPDATE audit_entries SET seq = 4 WHERE seq = 5",
      "UPDATE audit_entries SET seq = 5 WHERE seq = -1",
    );
    assert.deepEqual(await verify(dataDir, "sqlite"), {
      valid: false,
      first_bad_seq: 4,
      reason: "mac_mismatch",
    });
  }));

Deno.test("a forged or unreadable anchor is anchor_invalid when the chain is intact", () =>
  withLog("file", async (dataDir) => {
    const path = auditPaths(dataDir).fileAnchor;
    const anchor = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, JSON.stringify({ ...anchor, seq: 3 }));
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 0,
      reason: "anchor_invalid",
    });
    await Deno.writeTextFile(path, "{");
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 0,
      reason: "anchor_invalid",
    });
    await editLines(dataDir, (ls) => ls.filter((_, i) => i !== 1));
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 2,
      reason: "sequence_gap",
    });
  }));

Deno.test("a deleted log with its anchor left behind is truncated from seq 1", () =>
  withLog("file", async (dataDir) => {
    await Deno.remove(auditPaths(dataDir).logFile);
    assert.deepEqual(await verify(dataDir, "file"), {
      valid: false,
      first_bad_seq: 1,
      reason: "truncated",
    });
  }));

Deno.test("a log rewritten under its anchor is an anchor_mismatch", () =>
  withLog("file", async (dataDir) => {
    const other = await tempDir();
    try {
      await writeLog(other, "file", 12, "eve");
      await Deno.copyFile(auditPaths(other).logFile, auditPaths(dataDir).logFile);
      assert.deepEqual(await verify(dataDir, "file"), {
        valid: false,
        first_bad_seq: 10,
        reason: "anchor_mismatch",
      });
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  }));

Deno.test("verifying a data dir without a log or anchor is not_found", async () => {
  const dataDir = await tempDir();
  try {
    await assert.rejects(verify(dataDir, "file"), (err) => isHsmError(err, "not_found"));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("offline file verification works while the server holds the lock", () =>
  withLog("file", async (dataDir, head) => {
    const store = await FileAuditStore.open(auditPaths(dataDir).logFile);
    try {
      assert.deepEqual(await verify(dataDir, "file"), { valid: true, entries: 10, head });
    } finally {
      await store.close();
    }
  }));

Deno.test("verifyChain accepts an empty chain and an anchor at genesis", async () => {
  const key = await testMacKey();
  const genesis = "0".repeat(64);
  assert.deepEqual(await verifyChain([], key), { valid: true, entries: 0, head: genesis });
  assert.deepEqual(await verifyChain([], key, await signAnchor(key, 0, genesis)), {
    valid: true,
    entries: 0,
    head: genesis,
  });
  const entries = await chainOf(key, 3);
  assert.equal(
    (await verifyChain(entries, key, await signAnchor(key, 2, "1".repeat(64)))).valid,
    false,
  );
  assert.deepEqual(await verifyChain(entries, key, await signAnchor(key, 4, genesis)), {
    valid: false,
    first_bad_seq: 4,
    reason: "truncated",
  });
});

Deno.test("auditPaths names the documented locations", () => {
  assert.deepEqual(auditPaths("/srv/data/"), {
    dir: "/srv/data/audit",
    logFile: "/srv/data/audit/audit.log",
    fileAnchor: "/srv/data/audit/anchor.json",
    sqliteFile: "/srv/data/ferrohsm.db",
    sqliteAnchor: "/srv/data/audit/anchor-sqlite.json",
    fileArchive: "/srv/data/audit/archive",
    sqliteArchive: "/srv/data/audit/archive-sqlite",
  });
  assert.equal(auditPaths("d", "/x/y.db").sqliteFile, "/x/y.db");
});

Deno.test("verification reports progress every 1000 entries, offline too", async () => {
  const key = await testMacKey();
  const entries = await chainOf(key, 2500);
  const seen: number[] = [];
  const result = await verifyChain(entries, key, undefined, { onProgress: (n) => seen.push(n) });
  assert.equal(result.valid, true);
  assert.deepEqual(seen, [1000, 2000]);

  const dataDir = await tempDir();
  try {
    const paths = auditPaths(dataDir);
    await Deno.mkdir(paths.dir, { recursive: true });
    const lines = entries.slice(0, 1000).map((e) => JSON.stringify(e)).join("\n");
    await Deno.writeTextFile(paths.logFile, `${lines}\n`);
    await new FileAnchorStore(paths.fileAnchor).write(
      await signAnchor(key, 1000, entryHash(entries[999] as AuditEntry)),
    );
    const offline: number[] = [];
    const r = await verifyAuditStore({
      dataDir,
      hmacKey: RAW_HMAC_KEY,
      store: "file",
      onProgress: (n) => offline.push(n),
    });
    assert.equal(r.valid, true);
    assert.deepEqual(offline, [1000]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
