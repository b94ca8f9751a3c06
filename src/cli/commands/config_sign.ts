/**
 * `ferrohsm config sign FILE --key F [--out F]`: writes the detached signature
 * `FILE.sig` of a configuration file (RBAC matrix, approval policy, retention classes,
 * policy bundle) with the operator's configuration key (Ed25519 or P-256, PKCS#8 PEM or
 * private JWK). `config verify FILE --public-key F` checks one the way the server does.
 * The server, started with `--config-public-key`, refuses unsigned or badly signed files.
 */

import type { Command } from "commander";
import {
  importConfigKey,
  signConfig,
  verifyConfigSignature,
} from "../../config/config_signature.ts";
import { fromUtf8 } from "../../core/encoding.ts";
import { EXIT } from "../../server/startup_error.ts";
import { writeFileDurably } from "../../util/fs.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";

/** Registers `config sign` and `config verify` under `parent`. */
export function configCommands(parent: Command, ctx: CliContext): void {
  parent.command("sign")
    .description("Write FILE.sig, the detached signature of a configuration file")
    .argument("<file>", "the configuration file")
    .option("--key <file>", "the configuration private key (PKCS#8 PEM or JWK)")
    .option("--out <file>", "where to write the signature (default FILE.sig)")
    .action(ctx.action(async (file: string, opts: { key?: string; out?: string }, cmd: Command) => {
      // `--key` is also the client certificate key of the global options, which commander
      // may bind first: take it from wherever it landed.
      const keyFile = opts.key ?? (cmd.optsWithGlobals() as { key?: string }).key;
      if (keyFile === undefined) throw new UsageError("config sign needs --key FILE");
      const key = await importConfigKey(await readText(keyFile, "--key"), "sign");
      const signature = await signConfig(await readBytes(file, "the file"), key);
      const out = opts.out ?? `${file}.sig`;
      await writeFileDurably(out, new TextEncoder().encode(signature), { replace: true });
      ctx.out.line(`signed ${file} (${key.alg}): ${out}`);
      return EXIT.ok;
    }));
  parent.command("verify")
    .description("Check a configuration file against its FILE.sig")
    .argument("<file>", "the configuration file")
    .requiredOption("--public-key <file>", "the configuration public key (SPKI PEM or JWK)")
    .action(ctx.action(async (file: string, opts: { publicKey: string }) => {
      const key = await importConfigKey(await readText(opts.publicKey, "--public-key"), "verify");
      let signature: string | undefined;
      try {
        signature = await Deno.readTextFile(`${file}.sig`);
      } catch {
        signature = undefined;
      }
      await verifyConfigSignature(await readBytes(file, "the file"), signature, key, file);
      ctx.out.line(`signature valid: ${file} (${key.alg})`);
      return EXIT.ok;
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
