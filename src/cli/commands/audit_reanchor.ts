/**
 * `ferrohsm audit re-anchor`: the deliberate, audited way to accept an audit log whose
 * anchor is missing (the server refuses to start and verification reports
 * `anchor_missing`). It verifies the chain, appends an `audit.reanchor` entry naming the
 * operator and the reason, and writes a fresh anchor. Run it only after establishing why
 * the anchor went missing (compare the head with an exported copy); exit 0 when done.
 */

import { type Command, Option } from "commander";
import { readRootSecret } from "../../config/secrets.ts";
import { EXIT } from "../../server/startup_error.ts";
import type { CliContext } from "../context.ts";

interface ReanchorOptions {
  readonly dataDir: string;
  readonly hmacKeyFile: string;
  readonly auditStore: "file" | "sqlite";
  readonly sqlitePath?: string;
  readonly keyStore: "memory" | "filesystem" | "sqlite";
  readonly approvalStore: "memory" | "sqlite";
  readonly actor: string;
  readonly reason: string;
}

/** Registers `audit re-anchor` under `parent`. */
export function auditReanchorCommand(parent: Command, ctx: CliContext): void {
  parent.command("re-anchor")
    .description("Accept an audit log whose anchor is missing (audited, explicit)")
    .addOption(
      new Option("--data-dir <dir>", "data directory").env("FERROHSM_DATA_DIR").default("./data"),
    )
    .addOption(
      new Option("--hmac-key-file <file>", "the HMAC root key").env("FERROHSM_HMAC_KEY_FILE")
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--audit-store <store>", "where the log lives").choices(["file", "sqlite"])
        .env("FERROHSM_AUDIT_STORE").default("sqlite"),
    )
    .addOption(
      new Option("--sqlite-path <file>", "SQLite database (default <data-dir>/ferrohsm.db)")
        .env("FERROHSM_SQLITE_PATH"),
    )
    .addOption(
      new Option("--key-store <store>", "where the key records live")
        .choices(["memory", "filesystem", "sqlite"]).env("FERROHSM_KEY_STORE").default("sqlite"),
    )
    .addOption(
      new Option("--approval-store <store>", "where the approvals live")
        .choices(["memory", "sqlite"]).env("FERROHSM_APPROVAL_STORE").default("sqlite"),
    )
    .requiredOption("--actor <name>", "who re-anchors (recorded in the log)")
    .requiredOption("--reason <text>", "why (recorded in the log)")
    .action(ctx.action(async (opts: ReanchorOptions, cmd: Command) => {
      const hmacKey = await readRootSecret(opts.hmacKeyFile, "HMAC key");
      const { reanchorAuditLog } = await import("../../server/audit_files.ts");
      const result = await reanchorAuditLog({
        dataDir: opts.dataDir,
        hmacKey,
        store: opts.auditStore,
        sqlitePath: opts.sqlitePath,
        keyStore: opts.keyStore,
        approvalStore: opts.approvalStore,
        actor: opts.actor,
        reason: opts.reason,
      });
      if (ctx.json(cmd)) ctx.printJson(result);
      else if (result.valid) {
        ctx.out.line(`re-anchored: ${result.entries} entries, head ${result.head}`);
      }
      return result.valid ? EXIT.ok : EXIT.failure;
    }));
}
