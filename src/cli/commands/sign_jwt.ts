/**
 * `ferrohsm sign-jwt ID (--claims JSON | --claims-file F|-) [--alg ALG]`: signs the
 * claims as a JWT with the key's current version and prints the compact token.
 */

import { type Command, Option } from "commander";
import { JWS_ALGORITHMS } from "../../core/jws.ts";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { readInput } from "../output.ts";

interface SignJwtOptions {
  readonly claims?: string;
  readonly claimsFile?: string;
  readonly alg?: string;
}

/** Parses a claims object. @throws UsageError unless it is a JSON object */
function claimsOf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError("Claims must be a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError("Claims must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Registers `sign-jwt` under `parent`. */
export function signJwtCommand(parent: Command, ctx: CliContext): void {
  parent.command("sign-jwt")
    .description("Sign claims as a JWT; prints the compact token")
    .argument("<id>", "key id")
    .option("--claims <json>", "the claims as a JSON object")
    .option("--claims-file <file>", "a file holding the claims, - for stdin")
    .addOption(new Option("--alg <alg>", "JWS algorithm (default by key)").choices(JWS_ALGORITHMS))
    .action(ctx.action(async (id: string, opts: SignJwtOptions, cmd: Command) => {
      if ((opts.claims === undefined) === (opts.claimsFile === undefined)) {
        throw new UsageError("Give exactly one of --claims or --claims-file");
      }
      const text = opts.claims ??
        new TextDecoder().decode(await readInput(opts.claimsFile));
      const body = { claims: claimsOf(text), ...(opts.alg === undefined ? {} : { alg: opts.alg }) };
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ jwt: string }>("POST", keyPath(id, "/sign-jwt"), body),
      );
      ctx.out.line(ctx.json(cmd) ? JSON.stringify(res.body) : res.body.jwt);
    }));
}
