/**
 * `ferrohsm audit verify`: checks the audit hash chain. Offline (default) it reads the
 * data dir's log with the operator's HMAC key (`--data-dir`, `--hmac-key-file`,
 * `--audit-store`, `--sqlite-path`, each also `FERROHSM_*`; with `--audit-store postgres`
 * the shared database of a cluster, `--postgres-url` and its password/CA files), showing
 * an entries counter on a terminal; `--online` asks the server (`GET /api/v1/audit/verify`) instead.
 * Exit 0 when the chain is intact, 1 when it is not (naming the first bad entry).
 */

import { type Command, Option } from "commander";
import { readRootSecret } from "../../config/secrets.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { counter } from "../progress.ts";
import { escapeControls } from "../terminal_text.ts";
import { EXIT } from "../../server/startup_error.ts";
import type { AuditVerificationJson } from "../../contract/audit.ts";

interface VerifyOptions {
  readonly online?: boolean;
  readonly dataDir: string;
  readonly hmacKeyFile?: string;
  readonly auditStore: "file" | "sqlite" | "postgres";
  readonly keyStore: "memory" | "filesystem" | "sqlite" | "postgres";
  readonly approvalStore: "memory" | "sqlite" | "postgres";
  readonly sqlitePath?: string;
  readonly postgresUrl?: string;
  readonly postgresPasswordFile?: string;
  readonly postgresCaFile?: string;
}

/** Registers `audit verify` under `parent`. */
export function auditVerifyCommand(parent: Command, ctx: CliContext): void {
  parent.command("verify")
    .description("Verify the audit hash chain (offline from the data dir, or --online)")
    .option("--online", "ask the running server instead of reading the data dir")
    .addOption(
      new Option("--data-dir <dir>", "data directory").env("FERROHSM_DATA_DIR").default("./data"),
    )
    .addOption(
      new Option("--hmac-key-file <file>", "the HMAC root key (offline)")
        .env("FERROHSM_HMAC_KEY_FILE"),
    )
    .addOption(
      new Option("--audit-store <store>", "where the log lives")
        .choices(["file", "sqlite", "postgres"])
        .env("FERROHSM_AUDIT_STORE").default("sqlite"),
    )
    .addOption(
      new Option("--key-store <store>", "where the key records live (checked against the log)")
        .choices(["memory", "filesystem", "sqlite", "postgres"]).env("FERROHSM_KEY_STORE")
        .default("sqlite"),
    )
    .addOption(
      new Option("--approval-store <store>", "where the approvals live")
        .choices(["memory", "sqlite", "postgres"]).env("FERROHSM_APPROVAL_STORE")
        .default("sqlite"),
    )
    .addOption(
      new Option("--sqlite-path <file>", "SQLite database (default <data-dir>/ferrohsm.db)")
        .env("FERROHSM_SQLITE_PATH"),
    )
    .addOption(
      new Option("--postgres-url <url>", "the cluster's database (postgres stores)")
        .env("FERROHSM_POSTGRES_URL"),
    )
    .addOption(
      new Option("--postgres-password-file <file>", "the database password")
        .env("FERROHSM_POSTGRES_PASSWORD_FILE"),
    )
    .addOption(
      new Option("--postgres-ca-file <file>", "CA bundle: TLS to the database, verified")
        .env("FERROHSM_POSTGRES_CA_FILE"),
    )
    .action(ctx.action(async (opts: VerifyOptions, cmd: Command) => {
      const result = opts.online === true
        ? (await ctx.withApi(
          cmd,
          (api) => api.call<AuditVerificationJson>("GET", "/api/v1/audit/verify"),
        ))
          .body
        : await verifyOffline(ctx, opts);
      if (ctx.json(cmd)) ctx.printJson(result);
      else if (result.valid) {
        ctx.out.line(
          escapeControls(`audit log intact: ${result.entries} entries, head ${result.head}`),
        );
      } else {
        ctx.out.line(escapeControls(
          `audit log INVALID: first bad entry seq ${result.first_bad_seq} (${result.reason})`,
        ));
      }
      return result.valid ? EXIT.ok : EXIT.failure;
    }));
}

async function verifyOffline(ctx: CliContext, opts: VerifyOptions): Promise<AuditVerificationJson> {
  if (opts.hmacKeyFile === undefined) {
    throw new UsageError("audit verify needs --hmac-key-file (or --online)");
  }
  const hmacKey = await readRootSecret(opts.hmacKeyFile, "HMAC key");
  // Loaded on demand: the SQLite driver is only needed here and by the server.
  const { verifyAuditStore } = await import("../../server/audit_files.ts");
  const progress = counter(ctx.err, "verifying audit log, entries checked");
  try {
    return await verifyAuditStore({
      dataDir: opts.dataDir,
      hmacKey,
      store: opts.auditStore,
      keyStore: opts.keyStore,
      approvalStore: opts.approvalStore,
      sqlitePath: opts.sqlitePath,
      postgres: opts.postgresUrl === undefined ? undefined : {
        url: opts.postgresUrl,
        ...(opts.postgresPasswordFile === undefined
          ? {}
          : { passwordFile: opts.postgresPasswordFile }),
        ...(opts.postgresCaFile === undefined ? {} : { caFile: opts.postgresCaFile }),
      },
      onProgress: (n) => progress.update(n),
    });
  } finally {
    progress.stop();
    hmacKey.fill(0);
  }
}
