/**
 * `ferrohsm encrypt ID [--in F|-] [--out F|-] [--aad-file F]`: raw bytes in, the
 * ciphertext string (`fhsm:v<N>:...` for AES-GCM) out. Plaintext is read into memory
 * and sent base64 in one request (the server accepts bodies up to 1 MiB).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { toBase64 } from "../../core/encoding.ts";
import { readInput, writeOutput } from "../output.ts";

interface EncryptOptions {
  readonly in?: string;
  readonly out?: string;
  readonly aadFile?: string;
}

/** Registers `encrypt` under `parent`. */
export function encryptCommand(parent: Command, ctx: CliContext): void {
  parent.command("encrypt")
    .description("Encrypt bytes; prints the ciphertext string")
    .argument("<id>", "key id")
    .option("--in <file>", "plaintext file, - for stdin", "-")
    .option("--out <file>", "ciphertext file, - for stdout", "-")
    .option("--aad-file <file>", "additional authenticated data (AES-GCM)")
    .action(ctx.action(async (id: string, opts: EncryptOptions, cmd: Command) => {
      const plaintext = await readInput(opts.in);
      const aad = opts.aadFile === undefined ? undefined : await Deno.readFile(opts.aadFile);
      const body = { plaintext: toBase64(plaintext), ...(aad ? { aad: toBase64(aad) } : {}) };
      plaintext.fill(0);
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ ciphertext: string }>("POST", keyPath(id, "/encrypt"), body),
      );
      const text = ctx.json(cmd) ? JSON.stringify(res.body) : res.body.ciphertext;
      await writeOutput(opts.out, new TextEncoder().encode(`${text}\n`), ctx.out);
    }));
}
