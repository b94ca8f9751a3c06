/**
 * `ferrohsm retention verify-receipts --public-key F [--ledger F | --data-dir DIR]`:
 * verifies the destruction-receipt ledger offline with only the attestation public key
 * (SPKI PEM or JWK, as `GET /api/v1/retention/attestation-key` serves it): every receipt
 * parses, seqs run without a gap, each links to the one before, each signature holds.
 * Exit 0 when intact, 1 when not (naming the first bad receipt).
 */

import { join } from "node:path";
import { type Command, Option } from "commander";
import { fromUtf8 } from "../../core/encoding.ts";
import {
  importAttestationKey,
  ledgerLines,
  verifyReceiptLines,
} from "../../retention/receipt_verify.ts";
import { EXIT } from "../../server/startup_error.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";

interface VerifyReceiptsOptions {
  readonly publicKey: string;
  readonly ledger?: string;
  readonly dataDir: string;
}

/** Registers `retention verify-receipts` under `parent`. */
export function retentionVerifyReceiptsCommand(parent: Command, ctx: CliContext): void {
  parent.command("verify-receipts")
    .description("Verify the destruction-receipt ledger offline with the attestation public key")
    .requiredOption("--public-key <file>", "the attestation public key (PEM or JWK)")
    .option("--ledger <file>", "the ledger (default <data-dir>/retention-ledger.log)")
    .addOption(
      new Option("--data-dir <dir>", "data directory").env("FERROHSM_DATA_DIR").default("./data"),
    )
    .action(ctx.action(async (opts: VerifyReceiptsOptions, cmd: Command) => {
      const ledger = opts.ledger ?? join(opts.dataDir, "retention-ledger.log");
      const key = await importAttestationKey(await readText(opts.publicKey, "--public-key"));
      const lines = ledgerLines(await readBytes(ledger, "the ledger"));
      const result = await verifyReceiptLines(lines, key);
      if (ctx.json(cmd)) ctx.printJson(result);
      else if (result.valid) {
        ctx.out.line(`receipts intact: ${result.receipts} receipts, head ${result.head}`);
      } else {
        ctx.out.line(
          `receipts INVALID: first bad receipt seq ${result.first_bad_seq} (${result.reason})`,
        );
      }
      return result.valid ? EXIT.ok : EXIT.failure;
    }));
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new UsageError(`Cannot read ${what} ${path}: ${err instanceof Error ? err.name : err}`);
  }
}

async function readText(path: string, what: string): Promise<string> {
  return fromUtf8(await readBytes(path, what));
}
