/**
 * The `ferrohsm` command dispatcher: `serve`, `token mint`, `audit verify`. Each command
 * returns its exit code; usage errors are 2, refusals and failures 1.
 */

import { parseArgs } from "node:util";
import { parseServeConfig } from "../config/config.ts";
import { readRootSecret } from "../config/secrets.ts";
import { isHsmError } from "../core/errors.ts";
import { verifyAuditStore } from "../audit/verify.ts";
import { mintToken } from "../auth/token_mint.ts";
import { startServer } from "../server.ts";
import { type Logger, printLine, stderrLogger } from "../util/logger.ts";
import { EXIT, StartupError } from "./startup_error.ts";

const USAGE = `Usage: ferrohsm <command> [flags]

Commands:
  serve          Run the server (see --help of the contract flags in README)
  token mint     Mint a JWT: --keyset F --sub S --roles R[,R...] [--ttl 300] [--kid K]
                 [--issuer ISS] [--audience AUD]
  audit verify   Verify an audit log offline: --data-dir DIR --hmac-key-file F
                 [--audit-store file|sqlite] [--sqlite-path F]
`;

function usageError(message: string): number {
  printError(`${message}\n\n${USAGE}`);
  return EXIT.usage;
}

function printError(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`ferrohsm: ${text}\n`));
}

async function serve(args: string[], log: Logger): Promise<number> {
  let config;
  try {
    config = parseServeConfig(args);
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const server = await startServer(config, log);
  const stop = () => {
    log.log("info", "shutting down");
    server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  printLine(`listening on ${server.url}`);
  await server.finished;
  await server.shutdown();
  return EXIT.ok;
}

async function tokenMint(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        keyset: { type: "string" },
        sub: { type: "string" },
        roles: { type: "string" },
        ttl: { type: "string" },
        kid: { type: "string" },
        issuer: { type: "string" },
        audience: { type: "string" },
      },
    }).values;
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const keyset = values.keyset ?? Deno.env.get("FERROHSM_JWT_KEYSET");
  if (keyset === undefined || values.sub === undefined || values.roles === undefined) {
    return usageError("token mint needs --keyset, --sub and --roles");
  }
  const ttl = values.ttl === undefined ? 300 : Number(values.ttl);
  if (!Number.isInteger(ttl)) return usageError("--ttl must be a whole number of seconds");
  const issuer = values.issuer ?? Deno.env.get("FERROHSM_JWT_ISSUER");
  const audience = values.audience ?? Deno.env.get("FERROHSM_JWT_AUDIENCE");
  try {
    printLine(
      await mintToken(
        keyset,
        {
          sub: values.sub,
          roles: values.roles.split(",").map((r) => r.trim()).filter((r) => r !== ""),
          ttl,
          ...(values.kid === undefined ? {} : { kid: values.kid }),
          ...(issuer === undefined ? {} : { issuer }),
          ...(audience === undefined ? {} : { audience }),
        } as Parameters<typeof mintToken>[1],
      ),
    );
    return EXIT.ok;
  } catch (err) {
    printError(err instanceof Error ? err.message : String(err));
    return isHsmError(err, "invalid_request") ? EXIT.usage : EXIT.failure;
  }
}

async function auditVerify(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        "data-dir": { type: "string" },
        "hmac-key-file": { type: "string" },
        "audit-store": { type: "string" },
        "sqlite-path": { type: "string" },
        json: { type: "boolean" },
      },
    }).values;
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const dataDir = values["data-dir"] ?? Deno.env.get("FERROHSM_DATA_DIR") ?? "./data";
  const hmacFile = values["hmac-key-file"] ?? Deno.env.get("FERROHSM_HMAC_KEY_FILE");
  const store = values["audit-store"] ?? Deno.env.get("FERROHSM_AUDIT_STORE") ?? "sqlite";
  if (hmacFile === undefined) return usageError("audit verify needs --hmac-key-file");
  if (store !== "file" && store !== "sqlite") {
    return usageError(`Invalid --audit-store ${JSON.stringify(store)}: expected file, sqlite`);
  }
  try {
    const hmacKey = await readRootSecret(hmacFile, "HMAC key");
    const result = await verifyAuditStore({
      dataDir,
      hmacKey,
      store,
      sqlitePath: values["sqlite-path"] ?? Deno.env.get("FERROHSM_SQLITE_PATH"),
    });
    hmacKey.fill(0);
    if (values.json) printLine(JSON.stringify(result));
    else if (result.valid) {
      printLine(`audit log intact: ${result.entries} entries, head ${result.head}`);
    } else {
      printLine(
        `audit log INVALID: first bad entry seq ${result.first_bad_seq} (${result.reason})`,
      );
    }
    return result.valid ? EXIT.ok : EXIT.failure;
  } catch (err) {
    printError(err instanceof Error ? err.message : String(err));
    return EXIT.failure;
  }
}

/** Runs `ferrohsm` with `args`; resolves to the process exit code. */
export async function run(args: string[]): Promise<number> {
  const log = stderrLogger();
  const [command, sub, ...rest] = args;
  try {
    if (command === "serve") return await serve(args.slice(1), log);
    if (command === "token" && sub === "mint") return await tokenMint(rest);
    if (command === "audit" && sub === "verify") return await auditVerify(rest);
    if (command === undefined || command === "help" || command === "--help") {
      printLine(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    return usageError(`Unknown command: ${args.slice(0, 2).join(" ")}`);
  } catch (err) {
    if (err instanceof StartupError) {
      printError(err.message);
      return err.exitCode;
    }
    printError(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    return EXIT.failure;
  }
}
