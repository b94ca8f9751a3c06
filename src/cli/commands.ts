/**
 * The `ferrohsm` command tree (commander) and its exit codes. Each command lives in
 * `commands/` and stays thin: parse → HTTP call (or local work) → render. Exit codes:
 * 0 ok; 1 refused or failed (any HTTP error, an invalid signature or audit chain);
 * 2 usage errors (unknown command or option, missing argument); `serve` also exits 3
 * (master key does not match the data dir) and 4 (power-up self-test failed).
 */

import { Command, CommanderError, Option } from "commander";
import { isHsmError } from "../domain/errors.ts";
import { CliContext, DEFAULT_ADDR } from "./context.ts";
import { ApiError, CommandFailure, UsageError } from "./errors.ts";
import { escapeControls } from "./terminal_text.ts";
import { EXIT, StartupError } from "../server/startup_error.ts";
import { approvalApproveCommand } from "./commands/approval_approve.ts";
import { approvalDenyCommand } from "./commands/approval_deny.ts";
import { approvalListCommand } from "./commands/approval_list.ts";
import { auditTailCommand } from "./commands/audit_tail.ts";
import { auditReanchorCommand } from "./commands/audit_reanchor.ts";
import { auditVerifyCommand } from "./commands/audit_verify.ts";
import { completionCommand } from "./commands/completion.ts";
import { decryptCommand } from "./commands/decrypt.ts";
import { encryptCommand } from "./commands/encrypt.ts";
import { healthCommand } from "./commands/health.ts";
import { initCommand } from "./commands/init.ts";
import { keyCreateCommand } from "./commands/key_create.ts";
import { keyDestroyCommand } from "./commands/key_destroy.ts";
import { keyListCommand } from "./commands/key_list.ts";
import { keyPublicCommand } from "./commands/key_public.ts";
import { keyRevokeCommand } from "./commands/key_revoke.ts";
import { keyRollbackCommand } from "./commands/key_rollback.ts";
import { keyRotateCommand } from "./commands/key_rotate.ts";
import { keyShowCommand } from "./commands/key_show.ts";
import { keyVersionsCommand } from "./commands/key_versions.ts";
import { keyImportCommand } from "./commands/key_import.ts";
import { keyJwksCommand } from "./commands/key_jwks.ts";
import { keyUpdateCommand } from "./commands/key_update.ts";
import { dataKeyCommand } from "./commands/datakey.ts";
import { rewrapCommand } from "./commands/rewrap.ts";
import { signJwtCommand } from "./commands/sign_jwt.ts";
import { metricsCommand } from "./commands/metrics.ts";
import { serveCommand } from "./commands/serve.ts";
import { signCommand } from "./commands/sign.ts";
import { tokenMintCommand } from "./commands/token_mint.ts";
import { tuiCommand } from "./commands/tui.ts";
import { verifyCommand } from "./commands/verify.ts";
import { configCommands } from "./commands/config_sign.ts";
import { retentionVerifyReceiptsCommand } from "./commands/retention_verify_receipts.ts";

const EPILOG = `
Environment: FERROHSM_ADDR, FERROHSM_TOKEN (and FERROHSM_* for serve and offline commands).

Exit codes:
  0  ok
  1  refused or failed: any HTTP error (printed as "code: message"), an invalid
     signature or audit chain, an unhealthy server
  2  usage error: unknown command or option, missing or invalid argument
  3  serve: the master or HMAC key does not match the data dir's check values
  4  serve: a power-up self-test failed
`;

/** Builds the `ferrohsm` program; actions record their exit code in `ctx`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("ferrohsm")
    .description("FerroHSM: software HSM and key-management service (server and admin CLI)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out.text(text),
      writeErr: (text) => ctx.err.text(text),
      outputError: (text, write) => write(`ferrohsm: ${text.replace(/^error: /, "")}`),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showHelpAfterError("(run with --help for usage)")
    .addOption(
      new Option("--addr <url>", "server address").env("FERROHSM_ADDR").default(DEFAULT_ADDR),
    )
    .addOption(new Option("--token <jwt>", "bearer token").env("FERROHSM_TOKEN"))
    .option("--json", "print the API's JSON instead of tables")
    .option("--cert <file>", "client certificate (PEM) for mutual TLS, with --key")
    .option("--key <file>", "client certificate's private key (PEM)")
    .option("--ca <file>", "extra CA certificate (PEM) to trust")
    .addHelpText("after", EPILOG);

  initCommand(program, ctx);
  serveCommand(program, ctx);

  const key = program.command("key").description("Manage keys");
  keyCreateCommand(key, ctx);
  keyListCommand(key, ctx);
  keyShowCommand(key, ctx);
  keyRotateCommand(key, ctx);
  keyRollbackCommand(key, ctx);
  keyVersionsCommand(key, ctx);
  keyRevokeCommand(key, ctx);
  keyDestroyCommand(key, ctx);
  keyPublicCommand(key, ctx);
  keyImportCommand(key, ctx);
  keyUpdateCommand(key, ctx);
  keyJwksCommand(key, ctx);

  encryptCommand(program, ctx);
  decryptCommand(program, ctx);
  signCommand(program, ctx);
  verifyCommand(program, ctx);
  dataKeyCommand(program, ctx);
  rewrapCommand(program, ctx);
  signJwtCommand(program, ctx);

  const approval = program.command("approval").description("Dual-control approvals");
  approvalListCommand(approval, ctx);
  approvalApproveCommand(approval, ctx);
  approvalDenyCommand(approval, ctx);

  const audit = program.command("audit").description("Read and verify the audit log");
  auditTailCommand(audit, ctx);
  auditVerifyCommand(audit, ctx);
  auditReanchorCommand(audit, ctx);

  const retention = program.command("retention").description("Retention and destruction receipts");
  retentionVerifyReceiptsCommand(retention, ctx);

  const configuration = program.command("config").description("Signed configuration files");
  configCommands(configuration, ctx);

  const token = program.command("token").description("JWT tokens");
  tokenMintCommand(token, ctx);

  metricsCommand(program, ctx);
  healthCommand(program, ctx);
  completionCommand(program, ctx);
  tuiCommand(program, ctx, run);
  return program;
}

/** Runs `ferrohsm` with `args`; resolves to the process exit code. */
export async function run(args: string[], ctx: CliContext = new CliContext()): Promise<number> {
  const program = buildProgram(ctx);
  // Messages may quote a server (API errors) or files: never let them drive the terminal.
  const fail = (text: string) =>
    ctx.err.line(`ferrohsm: ${escapeControls(text, { keepNewlines: true })}`);
  try {
    await program.parseAsync(args, { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // `help` / `--help` exit 0; a group run without a subcommand prints help with exit 1.
      const help = err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
        (err.code === "commander.help" && err.exitCode === 0);
      return help ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      fail(`${err.message}\n(run with --help for usage)`);
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      fail(`${escapeControls(err.code)}: ${escapeControls(err.message)}`);
      return EXIT.failure;
    }
    if (err instanceof StartupError) {
      fail(err.message);
      return err.exitCode;
    }
    if (err instanceof CommandFailure || isHsmError(err)) {
      fail(err.message);
      return EXIT.failure;
    }
    fail(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    return EXIT.failure;
  }
}
