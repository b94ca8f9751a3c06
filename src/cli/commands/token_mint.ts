/**
 * `ferrohsm token mint --keyset F --sub S --roles R[,R...] [--ttl 300] [--kid K]
 * [--issuer ISS] [--audience AUD] [--cnf-x5t-s256 THUMBPRINT]`: signs a short-lived JWT
 * with a private key from a local JWKS; `--cnf-x5t-s256` binds it to one mutual-TLS
 * client certificate (RFC 8705). Whoever can read the keyset can mint any role: keep it
 * mode 0600.
 */

import { type Command, Option } from "commander";
import { mintToken } from "../../auth/token_mint.ts";
import { type Role, ROLES } from "../../access/rbac.ts";
import { fromBase64Url } from "../../core/encoding.ts";
import { isHsmError } from "../../domain/errors.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { intAtLeast } from "../parsers.ts";

interface MintCliOptions {
  readonly keyset: string;
  readonly sub: string;
  readonly roles: string;
  readonly ttl: number;
  readonly kid?: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly cnfX5tS256?: string;
}

/** Registers `token mint` under `parent`. */
export function tokenMintCommand(parent: Command, ctx: CliContext): void {
  parent.command("mint")
    .description("Mint a JWT from a local keyset (lifetime at most 300 s)")
    .addOption(
      new Option("--keyset <file>", "JWKS holding a private signing key")
        .env("FERROHSM_JWT_KEYSET").makeOptionMandatory(),
    )
    .requiredOption("--sub <subject>", "the actor (JWT sub)")
    .requiredOption(
      "--roles <roles>",
      `comma-separated roles: ${ROLES.join(", ")}`,
    )
    .option("--ttl <seconds>", "lifetime in seconds (1 to 300)", intAtLeast(0), 300)
    .option("--kid <kid>", "signing key id (default: the first private key)")
    .addOption(new Option("--issuer <iss>", "iss claim").env("FERROHSM_JWT_ISSUER"))
    .addOption(new Option("--audience <aud>", "aud claim").env("FERROHSM_JWT_AUDIENCE"))
    .option(
      "--cnf-x5t-s256 <thumbprint>",
      "bind to a client certificate: base64url SHA-256 of its DER (RFC 8705)",
    )
    .action(ctx.action(async (opts: MintCliOptions, cmd: Command) => {
      const cnf = opts.cnfX5tS256;
      if (cnf !== undefined && fromBase64Url(cnf)?.length !== 32) {
        throw new UsageError(
          "Invalid --cnf-x5t-s256: expected the unpadded base64url SHA-256 of a certificate",
        );
      }
      let token: string;
      try {
        token = await mintToken(opts.keyset, {
          sub: opts.sub,
          roles: opts.roles.split(",").map((r) => r.trim()).filter((r) => r !== "") as Role[],
          ttl: opts.ttl,
          ...(opts.kid === undefined ? {} : { kid: opts.kid }),
          ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }),
          ...(opts.audience === undefined ? {} : { audience: opts.audience }),
          ...(cnf === undefined ? {} : { cnfX5tS256: cnf }),
        });
      } catch (err) {
        if (isHsmError(err, "invalid_request")) throw new UsageError(err.message);
        throw err;
      }
      if (ctx.json(cmd)) ctx.printJson({ token });
      else ctx.out.line(token);
    }));
}
