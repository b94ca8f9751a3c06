/**
 * `/api/v1/retention`: destruction receipts, the attestation public key that verifies
 * them, and an Administrator's "run retention now".
 */

import { Hono } from "hono";
import { ListReceiptsQuery, type RetentionRunJson } from "../src/contract/retention.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import type { RetentionReport, RetentionService } from "../src/retention/retention_service.ts";

/** Routes for retention. */
export function retentionRoutes(retention: RetentionService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/receipts", validate("query", ListReceiptsQuery), async (c) => {
    const { after_seq, limit } = c.req.valid("query");
    return c.json({ items: await retention.receipts(c.get("actor"), after_seq, limit) });
  });

  app.get("/attestation-key", async (c) => {
    return c.json(await retention.attestationKey(c.get("actor")));
  });

  app.post("/run", async (c) => {
    return c.json(reportJson(await retention.runNow(c.get("actor"))));
  });

  return app;
}

function reportJson(r: RetentionReport): RetentionRunJson {
  return {
    keys: r.keys,
    opened: r.opened.map((o) => ({
      key_id: o.keyId,
      versions: o.versions,
      approval_id: o.approvalId,
    })),
    purged: r.purged.map((p) => ({
      key_id: p.keyId,
      version: p.version,
      receipt_seq: p.receiptSeq,
    })),
    waiting: r.waiting.map((w) => ({
      key_id: w.keyId,
      versions: w.versions,
      approval_id: w.approvalId,
      ...(w.until === undefined ? {} : { until: w.until }),
    })),
    archived_audit_entries: r.archivedAuditEntries,
  };
}
