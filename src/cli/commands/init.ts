/**
 * `ferrohsm init --data-dir DIR [--print-secrets]`: offline bootstrap of a new
 * installation. Generates the master and HMAC keys (32 random bytes each, hex, mode
 * 0600 under `DIR/secrets/` (0700), or printed once with `--print-secrets` and never
 * written), an ES256 JWKS with its private key (`DIR/jwks.json`, 0600), the key check
 * values binding the data dir to these secrets (`DIR/kcv.json`), and prints the first
 * Administrator token and the serve command line, in the form the program was started
 * with (`deno task serve` from a checkout, `<folder>/ferrohsm serve` from a release).
 *
 * Security caveats: never overwrites an installation (refuses when DIR holds any of
 * its files). The secrets and the keyset are as sensitive as every key they protect;
 * with `--print-secrets` they appear once on stdout, so run it on a trusted terminal.
 */

import type { Command } from "commander";
import { join, resolve } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { mintToken } from "../../auth/token_mint.ts";
import { checkValuePath, writeCheckValues, writeSecretFile } from "../../config/secrets.ts";
import { exists } from "../../util/fs.ts";
import { toHex } from "../../core/encoding.ts";
import { ROOT_KEY_BYTES, RootKeys } from "../../core/master_key.ts";
import { wipe } from "../../core/zeroize.ts";
import type { CliContext } from "../context.ts";
import { CommandFailure } from "../errors.ts";
import { commandLine, detectInvocation } from "../invocation.ts";
import { details } from "../render.ts";

/** What `init` refuses to find in the data dir: any sign of an installation. */
const INSTALLATION_FILES = ["kcv.json", "jwks.json", "secrets", "ferrohsm.db", "keys", "audit"];

interface InitOptions {
  readonly dataDir: string;
  readonly printSecrets?: boolean;
}

/** What a bootstrap produced (secrets in hex only when they were not written). */
interface Installation {
  readonly dir: string;
  readonly files: { readonly master: string; readonly hmac: string } | undefined;
  readonly printed: { readonly master: string; readonly hmac: string } | undefined;
  readonly keysetFile: string;
  readonly kid: string;
  readonly token: string;
  readonly serveArgs: readonly string[];
}

/** Registers `init` under `program`. */
export function initCommand(program: Command, ctx: CliContext): void {
  program.command("init")
    .description("Bootstrap a new installation offline: secrets, keyset, first admin token")
    .requiredOption(
      "--data-dir <dir>",
      "data directory to create or fill (must be empty of FerroHSM files)",
    )
    .option("--print-secrets", "print the master and HMAC keys once instead of writing them")
    .action(ctx.action(async (opts: InitOptions, cmd: Command) => {
      const inst = await bootstrap(resolve(opts.dataDir), opts.printSecrets === true);
      const invocation = detectInvocation();
      const serveCommand = commandLine(invocation.serve, inst.serveArgs);
      if (ctx.json(cmd)) {
        return ctx.printJson({
          data_dir: inst.dir,
          files: {
            ...(inst.files && { master_key: inst.files.master, hmac_key: inst.files.hmac }),
            jwt_keyset: inst.keysetFile,
            check_values: checkValuePath(inst.dir),
          },
          ...(inst.printed && { master_key: inst.printed.master, hmac_key: inst.printed.hmac }),
          kid: inst.kid,
          token: inst.token,
          serve_args: inst.serveArgs,
          serve_command: serveCommand,
        });
      }
      const s = ctx.style;
      const out = (text = "") => ctx.out.line(text);
      out(`Initialised FerroHSM in ${inst.dir}`);
      out(details([
        ...(inst.files === undefined ? [] : [
          ["master key", `${inst.files.master} (0600)`] as const,
          ["HMAC key", `${inst.files.hmac} (0600)`] as const,
        ]),
        ["JWT keyset", `${inst.keysetFile} (0600, ES256, kid ${inst.kid})`],
        ["check values", checkValuePath(inst.dir)],
      ], s));
      if (inst.printed !== undefined) {
        out();
        out(s.bold("Root secrets (shown once, written nowhere; store them safely):"));
        out(`  master key  ${inst.printed.master}`);
        out(`  HMAC key    ${inst.printed.hmac}`);
        out("Write each to a file readable only by the server (64 hex characters).");
      }
      out();
      out(s.bold("Start the server:"));
      out(`  ${serveCommand}`);
      out();
      out(s.bold("Administrator token (sub admin, valid 5 minutes):"));
      out(`  ${inst.token}`);
      out();
      out(
        `Mint more: ${
          commandLine(invocation.cli, ["token", "mint", "--keyset", inst.keysetFile])
        }` +
          " --sub NAME --roles Administrator",
      );
    }));
}

/**
 * Creates the installation in `dir`: root secrets (written, or returned for printing),
 * the ES256 keyset, the check values and the first Administrator token.
 * @throws CommandFailure when `dir` already holds an installation
 */
async function bootstrap(dir: string, printSecrets: boolean): Promise<Installation> {
  for (const name of INSTALLATION_FILES) {
    if (await exists(join(dir, name))) {
      throw new CommandFailure(
        `Cannot initialise ${dir}: it already holds an installation (${name}); nothing was changed`,
      );
    }
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const master = crypto.getRandomValues(new Uint8Array(ROOT_KEY_BYTES));
  const hmac = crypto.getRandomValues(new Uint8Array(ROOT_KEY_BYTES));
  try {
    const files = printSecrets ? undefined : await writeSecrets(dir, master, hmac);
    const printed = printSecrets ? { master: toHex(master), hmac: toHex(hmac) } : undefined;
    const { jwks, kid } = await generateKeyset();
    const keysetFile = join(dir, "jwks.json");
    await writeSecretFile(
      keysetFile,
      new TextEncoder().encode(JSON.stringify(jwks, null, 2) + "\n"),
    );
    const rootKeys = await RootKeys.derive(master.slice(), hmac.slice()); // wipes the copies
    rootKeys.close(); // only its check values are needed here
    await writeCheckValues(dir, rootKeys.checkValues);
    const token = await mintToken(jwks, { sub: "admin", roles: ["Administrator"], ttl: 300 });
    const serveArgs = [
      "--data-dir",
      dir,
      "--master-key-file",
      files?.master ?? "MASTER_KEY_FILE",
      "--hmac-key-file",
      files?.hmac ?? "HMAC_KEY_FILE",
      "--jwt-keyset",
      keysetFile,
    ];
    return { dir, files, printed, keysetFile, kid, token, serveArgs };
  } finally {
    wipe(master, hmac);
  }
}

async function writeSecrets(
  dir: string,
  master: Uint8Array,
  hmac: Uint8Array,
): Promise<{ master: string; hmac: string }> {
  const secrets = join(dir, "secrets");
  await Deno.mkdir(secrets, { mode: 0o700 });
  await Deno.chmod(secrets, 0o700);
  const paths = { master: join(secrets, "master.key"), hmac: join(secrets, "hmac.key") };
  for (const [path, secret] of [[paths.master, master], [paths.hmac, hmac]] as const) {
    const hex = new TextEncoder().encode(toHex(secret) + "\n");
    try {
      await writeSecretFile(path, hex);
    } finally {
      wipe(hex);
    }
  }
  return paths;
}

async function generateKeyset(): Promise<
  { jwks: { keys: Record<string, unknown>[] }; kid: string }
> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const jwk = await exportJWK(privateKey);
  return { jwks: { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] }, kid };
}
