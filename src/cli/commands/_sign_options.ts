/**
 * The options `sign` and `verify` share: what the input is (message or digest) and
 * how to sign it (hash, RSA padding, ECDSA signature format).
 */

import { type Command, Option } from "commander";
import { toBase64 } from "../../core/encoding.ts";

/** Parsed sign/verify options. */
export interface SignOptions {
  readonly in?: string;
  readonly digest?: boolean;
  readonly hash?: string;
  readonly padding?: string;
  readonly format?: string;
}

/** Adds the shared sign/verify options to `cmd`. */
export function addSignOptions(cmd: Command): Command {
  return cmd
    .option("--in <file>", "message (or digest) file, - for stdin", "-")
    .option("--digest", "the input is an already-computed digest, not the message")
    .addOption(
      new Option("--hash <hash>", "hash (default by key)").choices([
        "SHA-256",
        "SHA-384",
        "SHA-512",
      ]),
    )
    .addOption(new Option("--padding <padding>", "RSA padding").choices(["pkcs1", "pss"]))
    .addOption(new Option("--format <format>", "ECDSA signature format").choices(["der", "raw"]));
}

/** The request fields for `data` under `opts`. */
export function signFields(data: Uint8Array, opts: SignOptions): Record<string, string> {
  return {
    [opts.digest === true ? "digest" : "message"]: toBase64(data),
    ...(opts.hash === undefined ? {} : { hash: opts.hash }),
    ...(opts.padding === undefined ? {} : { padding: opts.padding }),
    ...(opts.format === undefined ? {} : { signature_format: opts.format }),
  };
}
