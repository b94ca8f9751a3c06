/**
 * `ferrohsm key import FILE --algorithm A (--name N | --key-id ID) [--usage u,u]
 * [--tag k=v ...]`: imports existing key material (BYOK). FILE holds the material in the
 * API's format: PKCS#8 (PEM `PRIVATE KEY` or DER) for RSA, EC and Ed25519; raw bytes
 * (or `--hex` text) for AES and HMAC keys and the ML-KEM/ML-DSA seeds. The command asks
 * the server for import parameters, wraps the material locally with the returned
 * RSA-3072 key (`RSA-OAEP-SHA256-AES-KWP`), and sends only the wrap; the material is
 * wiped from memory afterwards. `--key-id` adds it as a new version of an imported key.
 */

import { type Command, Option } from "commander";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../../domain/algorithms.ts";
import type { KeyJson } from "../../contract/keys.ts";
import { fromBase64, fromHex, toBase64 } from "../../core/encoding.ts";
import { wrapKeyForImport } from "../../core/import_wrapping.ts";
import { wipe } from "../../core/zeroize.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readInput } from "../output.ts";
import { collectTag, listOf } from "../parsers.ts";
import { keyDetails } from "../render.ts";

interface ImportOptions {
  readonly algorithm: string;
  readonly name?: string;
  readonly keyId?: string;
  readonly usage?: string[];
  readonly tag?: Record<string, string>;
  readonly hex?: boolean;
}

interface ImportParams {
  readonly import_token: string;
  readonly wrapping_public_key_pem: string;
}

/** Decodes the material file: PEM PKCS#8, hex text (`--hex`), or raw bytes as they are. */
function decodeMaterial(bytes: Uint8Array, hex: boolean): Uint8Array {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (text.includes("-----BEGIN ")) {
    const m = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(text);
    const der = m === null ? undefined : fromBase64((m[1] as string).replace(/\s+/g, ""));
    if (der === undefined) {
      throw new UsageError(
        "Expected a PKCS#8 PEM (BEGIN PRIVATE KEY); convert with: openssl pkcs8 -topk8 -nocrypt",
      );
    }
    return der;
  }
  if (hex) {
    const decoded = fromHex(text.trim());
    if (decoded === undefined) throw new UsageError("--hex: the file is not hex text");
    return decoded;
  }
  return bytes.slice();
}

/** Registers `key import` under `parent`. */
export function keyImportCommand(parent: Command, ctx: CliContext): void {
  parent.command("import")
    .description("Import existing key material (BYOK), wrapped locally for the server")
    .argument("<file>", "key material: PKCS#8 (PEM or DER), or raw bytes; - for stdin")
    .addOption(
      new Option("--algorithm <algorithm>", "key algorithm").choices(ALGORITHM_NAMES)
        .makeOptionMandatory(),
    )
    .option("--name <name>", "name of the new key")
    .option("--key-id <id>", "add the material as a new version of this imported key")
    .option(
      "--usage <usages>",
      `comma-separated usages (${USAGE_NAMES.join(", ")}); default by algorithm`,
      listOf(USAGE_NAMES),
    )
    .option("--tag <key=value>", "a tag (repeatable)", collectTag)
    .option("--hex", "the file holds hex text (raw keys and seeds)")
    .action(ctx.action(async (file: string, opts: ImportOptions, cmd: Command) => {
      if ((opts.name === undefined) === (opts.keyId === undefined)) {
        throw new UsageError("Give exactly one of --name (a new key) or --key-id (a new version)");
      }
      const raw = await readInput(file);
      const material = decodeMaterial(raw, opts.hex === true);
      wipe(raw);
      try {
        const res = await ctx.withApi(cmd, async (api) => {
          const params = await api.call<ImportParams>("POST", "/api/v1/keys/import-params", {
            algorithm: opts.algorithm,
          });
          const spki = fromBase64(
            params.body.wrapping_public_key_pem.replace(/-----[A-Z ]+-----/g, "").replace(
              /\s+/g,
              "",
            ),
          );
          if (spki === undefined) throw new UsageError("The server's wrapping key is not PEM");
          const wrapped = await wrapKeyForImport(spki, material);
          return await api.call<KeyJson>("POST", "/api/v1/keys/import", {
            algorithm: opts.algorithm,
            import_token: params.body.import_token,
            wrapped_key: toBase64(wrapped),
            ...(opts.name === undefined ? {} : { name: opts.name }),
            ...(opts.keyId === undefined ? {} : { key_id: opts.keyId }),
            ...(opts.usage === undefined ? {} : { usage: opts.usage }),
            ...(opts.tag === undefined ? {} : { tags: opts.tag }),
          });
        });
        if (ctx.json(cmd)) return ctx.printJson(res.body);
        ctx.out.line(keyDetails(res.body, ctx.style));
      } finally {
        wipe(material);
      }
    }));
}
