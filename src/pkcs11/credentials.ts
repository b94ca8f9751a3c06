/**
 * PKCS#11 logins: resolves a PIN (a JWT, or `file:` naming a token file, see `pin.ts`)
 * to a credential and re-checks it on every use. Tokens are verified by the API's
 * JwtVerifier (cached there); a session ends exactly at the token's `exp`. A token file
 * is re-read when the token in hand expires within a minute or stops verifying, and
 * must keep the subject the session logged in with. Tokens bound to a client
 * certificate (`cnf`) are refused: the socket has no TLS. The token strings stay in
 * this module's private map (JavaScript cannot wipe strings); they are never logged.
 */

import type { Principal } from "../auth/jwt.ts";
import { HsmError } from "../domain/errors.ts";
import type { Logger } from "../util/logger.ts";
import { CKR } from "./constants.ts";
import { parsePin, type PinSource, readTokenFile } from "./pin.ts";
import { Pkcs11Error, type TokenCredential } from "./token_backend.ts";

/** A token file is re-read when its token expires within this many seconds. */
const RENEW_AHEAD_S = 60;

/** Dependencies of the credential checks. */
export interface CredentialOptions {
  readonly verifier: { verify(token: string): Promise<Principal> };
  /** Directory of token files for `file:` PINs; such PINs are refused when absent. */
  readonly tokenDir?: string | undefined;
  readonly log?: Logger | undefined;
  /** Told the reason of each refused token (metrics). */
  readonly onAuthFailure?: ((reason: string) => void) | undefined;
  /** Current time in epoch milliseconds. */
  readonly clock?: (() => number) | undefined;
}

interface Login {
  readonly source: PinSource;
  token: string;
  principal: Principal;
}

/** Logs in with PINs and keeps the resulting credentials honest. */
export class Credentials {
  readonly #o: CredentialOptions;
  readonly #clock: () => number;
  readonly #logins = new WeakMap<TokenCredential, Login>();

  constructor(options: CredentialOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Resolves a PIN. @throws Pkcs11Error(CKR_PIN_INCORRECT | CKR_PIN_LEN_RANGE) */
  async login(pin: Uint8Array): Promise<TokenCredential> {
    const source = parsePin(pin, this.#o.tokenDir);
    const token = source.kind === "jwt" ? source.token : await this.#readFile(source.path);
    if (token === undefined) throw new Pkcs11Error(CKR.PIN_INCORRECT);
    const principal = await this.#verify(token);
    if (principal === undefined) throw new Pkcs11Error(CKR.PIN_INCORRECT);
    const credential: TokenCredential = Object.freeze({
      subject: principal.sub,
      renewable: source.kind === "file",
    });
    this.#logins.set(credential, { source, token, principal });
    return credential;
  }

  /** The credential's current principal. @throws Pkcs11Error(CKR_USER_NOT_LOGGED_IN) */
  async principal(credential: TokenCredential): Promise<Principal> {
    const login = this.#logins.get(credential);
    if (login === undefined) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
    const nowS = this.#clock() / 1000;
    let principal = login.principal.exp > nowS ? await this.#verify(login.token) : undefined;
    if (
      login.source.kind === "file" &&
      (principal === undefined || principal.exp - nowS < RENEW_AHEAD_S)
    ) {
      const token = await this.#readFile(login.source.path);
      const renewed = token === undefined || token === login.token
        ? undefined
        : await this.#verify(token);
      if (token !== undefined && renewed?.sub === credential.subject) {
        login.token = token;
        principal = renewed;
      }
    }
    if (principal === undefined || principal.sub !== credential.subject) {
      throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
    }
    login.principal = principal;
    return principal;
  }

  /** Verifies a token for PKCS#11 use; undefined when it does not authenticate. */
  async #verify(token: string): Promise<Principal | undefined> {
    try {
      const principal = await this.#o.verifier.verify(token);
      if (principal.cnfX5tS256 !== undefined) {
        this.#o.onAuthFailure?.("certificate_bound");
        return undefined;
      }
      // Strict expiry (the verifier allows clock skew): a session ends at `exp`.
      return principal.exp > this.#clock() / 1000 ? principal : undefined;
    } catch (err) {
      if (!(err instanceof HsmError)) throw err;
      const reason = (err as { reason?: unknown }).reason;
      this.#o.onAuthFailure?.(typeof reason === "string" ? reason : err.code);
      return undefined;
    }
  }

  async #readFile(path: string): Promise<string | undefined> {
    const dir = this.#o.tokenDir;
    if (dir === undefined) return undefined;
    const result = await readTokenFile(path, dir);
    if (result.ok) return result.token;
    this.#o.log?.log("warn", "pkcs11 token file refused", { path, problem: result.problem });
    return undefined;
  }
}
