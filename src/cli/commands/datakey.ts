/**
 * `ferrohsm datakey ID [--bits 128|256] [--no-plaintext] [--aad-file F] [--key-out F]`:
 * generates a data key under the key (envelope encryption). Prints the wrapped data key
 * (`ciphertext`), the version and, unless `--no-plaintext`, the plaintext data key in
 * base64; with `--key-out` the plaintext key's raw bytes go to that file (mode 0600)
 * instead of the terminal.
 */

import { type Command, Option } from "commander";
import { fromBase64, toBase64 } from "../../core/encoding.ts";
import { wipe } from "../../core/zeroize.ts";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { CommandFailure } from "../errors.ts";
import { writeOutput } from "../output.ts";
import { details } from "../render.ts";

interface DataKeyOptions {
  readonly bits: string;
  readonly plaintext: boolean;
  readonly aadFile?: string;
  readonly keyOut?: string;
}

interface DataKeyAnswer {
  readonly ciphertext: string;
  readonly plaintext?: string;
  readonly version: number;
}

/** Registers `datakey` under `parent`. */
export function dataKeyCommand(parent: Command, ctx: CliContext): void {
  parent.command("datakey")
    .description("Generate a data key wrapped under the key (envelope encryption)")
    .argument("<id>", "key id")
    .addOption(new Option("--bits <bits>", "data key size").choices(["128", "256"]).default("256"))
    .option("--no-plaintext", "return only the wrapped data key")
    .option("--aad-file <file>", "additional authenticated data bound to the wrap")
    .option("--key-out <file>", "write the plaintext data key's bytes to this file (0600)")
    .action(ctx.action(async (id: string, opts: DataKeyOptions, cmd: Command) => {
      const aad = opts.aadFile === undefined ? undefined : await Deno.readFile(opts.aadFile);
      const body = {
        bits: Number(opts.bits),
        plaintext: opts.plaintext,
        ...(aad === undefined ? {} : { aad: toBase64(aad) }),
      };
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<DataKeyAnswer>("POST", keyPath(id, "/datakey"), body),
      );
      const { ciphertext, plaintext, version } = res.body;
      if (opts.keyOut !== undefined && plaintext !== undefined) {
        const bytes = fromBase64(plaintext);
        if (bytes === undefined) throw new CommandFailure("The server answered invalid base64");
        await writeOutput(opts.keyOut, bytes, ctx.out);
        wipe(bytes);
        if (ctx.json(cmd)) return ctx.printJson({ ciphertext, version });
        ctx.out.line(
          details([["ciphertext", ciphertext], ["version", String(version)]], ctx.style),
        );
        return;
      }
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(details([
        ["ciphertext", ciphertext],
        ...(plaintext === undefined ? [] : [["plaintext", plaintext] as const]),
        ["version", String(version)],
      ], ctx.style));
    }));
}
