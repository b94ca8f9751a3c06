/**
 * `ferrohsm decrypt ID [--in F|-] [--out F|-] [--aad-file F]`: the ciphertext string
 * in (surrounding whitespace ignored), the raw plaintext bytes out. A plaintext file
 * is created with mode 0600.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { toBase64 } from "../../core/encoding.ts";
import { readInput, writeBinaryField } from "../output.ts";

interface DecryptOptions {
  readonly in?: string;
  readonly out?: string;
  readonly aadFile?: string;
}

/** Registers `decrypt` under `parent`. */
export function decryptCommand(parent: Command, ctx: CliContext): void {
  parent.command("decrypt")
    .description("Decrypt a ciphertext string; writes the plaintext bytes")
    .argument("<id>", "key id")
    .option("--in <file>", "ciphertext file, - for stdin", "-")
    .option("--out <file>", "plaintext file, - for stdout", "-")
    .option("--aad-file <file>", "additional authenticated data (AES-GCM)")
    .action(ctx.action(async (id: string, opts: DecryptOptions, cmd: Command) => {
      const ciphertext = new TextDecoder().decode(await readInput(opts.in)).trim();
      const aad = opts.aadFile === undefined ? undefined : await Deno.readFile(opts.aadFile);
      const body = { ciphertext, ...(aad ? { aad: toBase64(aad) } : {}) };
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ plaintext: string }>("POST", keyPath(id, "/decrypt"), body),
      );
      await writeBinaryField(opts.out, res.body, "plaintext", {
        json: ctx.json(cmd),
        out: ctx.out,
      });
    }));
}
