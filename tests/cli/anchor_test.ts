/**
 * Attack: a thief with the data dir deletes the newest audit entries and the anchor
 * file, hoping the shortened log passes as complete. A missing anchor next to a
 * non-empty log is its own verification failure (`anchor_missing`) offline and online,
 * and the server refuses to start on it; `ferrohsm audit re-anchor` is the explicit,
 * audited way for an operator to accept the log again.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { makeTestApp } from "../routes/_app.ts";
import { runCli, startServerProcess } from "../../testing/server_process.ts";

for (const store of ["sqlite", "file"] as const) {
  Deno.test(`${store} audit store: a truncated log without its anchor is refused until re-anchored`, async () => {
    const t = await makeTestApp(["--audit-store", store]);
    const { inst } = t;
    let stopped = false;
    try {
      const admin = await inst.token("alice", ["Administrator"]);
      for (let i = 0; i < 3; i++) {
        await t.call(admin, "POST", "/api/v1/keys", { name: `k${i}`, algorithm: "Ed25519" });
      }
      await t.shutdown();
      stopped = true;
      const auditDir = join(inst.dataDir, "audit");
      if (store === "sqlite") {
        const db = createClient({ url: `file:${join(inst.dataDir, "ferrohsm.db")}` });
        await db.execute(
          "DELETE FROM audit_entries WHERE seq > (SELECT MAX(seq) - 3 FROM audit_entries)",
        );
        db.close();
        await Deno.remove(join(auditDir, "anchor-sqlite.json"));
      } else {
        const log = join(auditDir, "audit.log");
        const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
        await Deno.writeTextFile(log, lines.slice(0, -3).join("\n") + "\n");
        await Deno.remove(join(auditDir, "anchor.json"));
      }
      const base = ["--data-dir", inst.dataDir, "--hmac-key-file", inst.hmacKeyFile];
      const storeFlag = ["--audit-store", store];
      const verify = await runCli(["audit", "verify", ...base, ...storeFlag, "--json"]);
      assert.equal(verify.code, 1, verify.stderr);
      assert.equal(JSON.parse(verify.stdout).reason, "anchor_missing");

      await assert.rejects(
        startServerProcess(inst.flags(storeFlag)),
        /anchor is missing/,
        "the server refuses the log",
      );

      const reanchor = await runCli([
        "audit",
        "re-anchor",
        ...base,
        ...storeFlag,
        "--actor",
        "carol",
        "--reason",
        "anchor lost in a restore",
      ]);
      assert.equal(reanchor.code, 0, reanchor.stderr);
      const again = await runCli(["audit", "verify", ...base, ...storeFlag, "--json"]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      const server = await startServerProcess(inst.flags(storeFlag));
      try {
        const res = await fetch(`${server.url}/api/v1/audit?limit=1000`, {
          headers: { Authorization: `Bearer ${await inst.token("alice", ["Auditor"])}` },
        });
        const entries = (await res.json()).items as { action: string; actor: string }[];
        const entry = entries.find((e) => e.action === "audit.reanchor");
        assert.equal(entry?.actor, "operator:carol");
      } finally {
        assert.equal(await server.stop(), 0);
      }
    } finally {
      if (!stopped) await t.shutdown();
      await inst.cleanup();
    }
  });
}
