/**
 * `ferrohsm rewrap ID [--in F|-] [--out F|-] [--aad-file F] [--version N]`: re-encrypts
 * a ciphertext string under the key's current version on the server (the plaintext never
 * leaves it) and prints the new ciphertext.
 */

import type { Command } from "commander";
import { toBase64 } from "../../core/encoding.ts";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { readInput, writeOutput } from "../output.ts";
import { positiveInt } from "../parsers.ts";

interface RewrapOptions {
  readonly in?: string;
  readonly out?: string;
  readonly aadFile?: string;
  readonly version?: number;
}

/** Registers `rewrap` under `parent`. */
export function rewrapCommand(parent: Command, ctx: CliContext): void {
  parent.command("rewrap")
    .description("Re-encrypt a ciphertext under the key's current version")
    .argument("<id>", "key id")
    .option("--in <file>", "ciphertext file, - for stdin", "-")
    .option("--out <file>", "new ciphertext file, - for stdout", "-")
    .option("--aad-file <file>", "additional authenticated data (AES-GCM)")
    .option("--version <n>", "version of a raw (RSA-OAEP) ciphertext", positiveInt)
    .action(ctx.action(async (id: string, opts: RewrapOptions, cmd: Command) => {
      const ciphertext = new TextDecoder().decode(await readInput(opts.in)).trim();
      const aad = opts.aadFile === undefined ? undefined : await Deno.readFile(opts.aadFile);
      const body = {
        ciphertext,
        ...(aad === undefined ? {} : { aad: toBase64(aad) }),
        ...(opts.version === undefined ? {} : { version: opts.version }),
      };
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ ciphertext: string }>("POST", keyPath(id, "/rewrap"), body),
      );
      const text = ctx.json(cmd) ? JSON.stringify(res.body) : res.body.ciphertext;
      await writeOutput(opts.out, new TextEncoder().encode(`${text}\n`), ctx.out);
    }));
}
