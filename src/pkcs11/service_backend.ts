/**
 * The token backend over FerroHSM's services: the PIN is verified by the API's
 * JwtVerifier, every operation goes through KeyService/CryptoService (so RBAC, audit
 * and the approval rules apply exactly as for the REST API) and takes a token from the
 * per-actor rate limiter the API uses (the bucket `sub:<subject>` is shared with it).
 *
 * Actor: audit entries of PKCS#11 calls name the actor `pkcs11:<subject>`, so the audit
 * log shows the channel. One exception: a destruction request is made as `<subject>`
 * itself, because dual control compares the requester's id with the approver's; under
 * a different id the same person could approve their own PKCS#11 request from the API.
 * Logins and their re-checks on every call are `credentials.ts`; failures map to CKR
 * values in `service_errors.ts`.
 */

import type { Principal } from "../auth/jwt.ts";
import { fromBase64, fromBase64Url, toBase64 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import type { RateLimiter } from "../http/rate_limiter.ts";
import type { CryptoService } from "../keys/crypto_service.ts";
import type { Actor, RequestFacts } from "../access/guard.ts";
import type { KeyService } from "../keys/key_service.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { Logger } from "../util/logger.ts";
import { CKR } from "./constants.ts";
import { Credentials } from "./credentials.ts";
import { type Operation, toPkcs11Error } from "./service_errors.ts";
import {
  type NewKey,
  Pkcs11Error,
  type SignInput,
  type TokenBackend,
  type TokenCredential,
  type TokenKey,
  type TokenPublicKey,
} from "./token_backend.ts";

/** The prefix of the audit actor of PKCS#11 calls. */
export const PKCS11_ACTOR_PREFIX = "pkcs11:";
/** Keys listed at most (pages of 100). */
const MAX_KEYS = 10_000;
const PAGE = 100;

/** Dependencies of the service backend. */
export interface ServiceBackendOptions {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly verifier: { verify(token: string): Promise<Principal> };
  /** The API's per-actor limiter; unlimited when absent. */
  readonly limiter?: RateLimiter;
  /** Directory of token files for `file:` PINs; such PINs are refused when absent. */
  readonly tokenDir?: string;
  readonly log?: Logger;
  /** Told the reason of each refused login token (metrics). */
  readonly onAuthFailure?: (reason: string) => void;
  /** Current time in epoch milliseconds. */
  readonly clock?: () => number;
}

function tokenKey(record: KeyRecord): TokenKey {
  return {
    id: record.id,
    name: record.name,
    algorithm: record.algorithm,
    usage: record.usage,
    state: record.state,
    currentVersion: record.currentVersion,
  };
}

function spkiFromPem(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  const der = fromBase64(body);
  if (der === undefined) throw new Pkcs11Error(CKR.DEVICE_ERROR);
  return der;
}

function jwkBytes(jwk: Record<string, unknown>, name: string): Uint8Array | undefined {
  const v = jwk[name];
  return typeof v === "string" ? fromBase64Url(v) : undefined;
}

/** FerroHSM's services as a PKCS#11 token. */
export class ServiceBackend implements TokenBackend {
  readonly #o: ServiceBackendOptions;
  readonly #credentials: Credentials;

  constructor(options: ServiceBackendOptions) {
    this.#o = options;
    this.#credentials = new Credentials(options);
  }

  login(pin: Uint8Array): Promise<TokenCredential> {
    return this.#credentials.login(pin);
  }

  listKeys(credential: TokenCredential): Promise<TokenKey[]> {
    return this.#run(credential, "list", undefined, async (actor) => {
      const out: TokenKey[] = [];
      for (let offset = 0; offset < MAX_KEYS; offset += PAGE) {
        const page = await this.#o.keys.list(actor, { offset, limit: PAGE });
        out.push(...page.items.map(tokenKey));
        if (page.items.length < PAGE || offset + PAGE >= page.total) break;
      }
      return out;
    });
  }

  publicKey(credential: TokenCredential, key: TokenKey): Promise<TokenPublicKey> {
    return this.#run(credential, "public", key.id, async (actor) => {
      const view = await this.#o.crypto.publicKey(actor, key.id);
      const jwk = view.jwk;
      const x = jwkBytes(jwk, "x");
      const y = jwkBytes(jwk, "y");
      const n = jwkBytes(jwk, "n");
      const e = jwkBytes(jwk, "e");
      const ecPoint = x !== undefined && y !== undefined
        ? Uint8Array.of(0x04, ...x, ...y)
        : undefined;
      return {
        spki: spkiFromPem(view.pem),
        ...(ecPoint === undefined ? {} : { ecPoint }),
        ...(n === undefined ? {} : { modulus: n }),
        ...(e === undefined ? {} : { publicExponent: e }),
      };
    });
  }

  sign(credential: TokenCredential, keyId: string, input: SignInput): Promise<Uint8Array> {
    return this.#run(credential, "sign", keyId, async (actor) => {
      if (input.kind === "mac") return (await this.#o.crypto.mac(actor, keyId, input.data)).value;
      return (await this.#o.crypto.sign(actor, keyId, signParams(input))).value;
    }, input.data.length);
  }

  verify(
    credential: TokenCredential,
    keyId: string,
    input: SignInput,
    signature: Uint8Array,
  ): Promise<boolean> {
    return this.#run(credential, "verify", keyId, async (actor) => {
      if (input.kind === "mac") {
        return (await this.#o.crypto.macVerify(actor, keyId, input.data, signature)).value;
      }
      return (await this.#o.crypto.verify(actor, keyId, signParams(input), signature)).value;
    }, input.data.length + signature.length);
  }

  encrypt(
    credential: TokenCredential,
    keyId: string,
    plaintext: Uint8Array,
    label?: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#run(credential, "encrypt", keyId, async (actor) => {
      const { value } = await this.#o.crypto.encrypt(actor, keyId, plaintext, label);
      const bytes = fromBase64(value);
      if (bytes === undefined) throw new Pkcs11Error(CKR.DEVICE_ERROR);
      return bytes;
    }, plaintext.length);
  }

  decrypt(
    credential: TokenCredential,
    keyId: string,
    ciphertext: Uint8Array,
    label?: Uint8Array,
  ): Promise<Uint8Array> {
    return this.#run(credential, "decrypt", keyId, async (actor) => {
      return (await this.#o.crypto.decrypt(actor, keyId, toBase64(ciphertext), label)).value;
    }, ciphertext.length);
  }

  createKey(credential: TokenCredential, key: NewKey): Promise<TokenKey> {
    return this.#run(credential, "create", undefined, async (actor) => {
      const created = await this.#o.keys.create(actor, {
        name: key.name,
        algorithm: key.algorithm,
        usage: key.usage,
      });
      return tokenKey(created.key);
    });
  }

  requestDestroy(credential: TokenCredential, keyId: string): Promise<string> {
    return this.#run(credential, "destroy", keyId, async (_actor, principal) => {
      // The person's own id (see the module comment): dual control must see one requester.
      const requester: Actor = {
        id: principal.sub,
        roles: principal.roles,
        facts: pkcs11Facts(0),
      };
      return (await this.#o.keys.requestDestroy(requester, keyId)).id;
    });
  }

  /** Runs a service call for a live credential within the rate limit, mapping failures. */
  async #run<T>(
    credential: TokenCredential,
    op: Operation,
    keyId: string | undefined,
    fn: (actor: Actor, principal: Principal) => Promise<T>,
    size = 0,
  ): Promise<T> {
    const principal = await this.#credentials.principal(credential);
    const decision = this.#o.limiter?.take(`sub:${principal.sub}`, principal.roles);
    if (decision !== undefined && !decision.allowed) {
      this.#refused(op, principal, keyId, "rate_limited");
      throw new Pkcs11Error(CKR.FUNCTION_FAILED, "Rate limited");
    }
    const actor: Actor = {
      id: `${PKCS11_ACTOR_PREFIX}${principal.sub}`,
      roles: principal.roles,
      facts: pkcs11Facts(size),
    };
    try {
      return await fn(actor, principal);
    } catch (err) {
      const mapped = toPkcs11Error(err, op);
      if (mapped.rv === CKR.FUNCTION_FAILED || mapped.rv === CKR.GENERAL_ERROR) {
        const reason = err instanceof HsmError
          ? err.code
          : err instanceof Error
          ? err.name
          : "error";
        this.#refused(op, principal, keyId, reason);
      }
      throw mapped;
    }
  }

  #refused(op: Operation, principal: Principal, keyId: string | undefined, reason: string) {
    this.#o.log?.log("warn", "pkcs11 operation refused", {
      operation: op,
      subject: principal.sub,
      ...(keyId === undefined ? {} : { key_id: keyId }),
      reason,
    });
  }
}

function signParams(input: Extract<SignInput, { kind: "signature" }>) {
  return {
    data: input.data,
    prehashed: input.prehashed,
    hash: input.hash,
    ...(input.padding === undefined ? {} : { padding: input.padding }),
    ...(input.format === undefined ? {} : { format: input.format }),
  };
}

/** The request facts of a PKCS#11 call (for policy scripts): the socket has no address. */
function pkcs11Facts(size: number): RequestFacts {
  return { time: new Date(), clientIp: "unix", size, via: "pkcs11" };
}
