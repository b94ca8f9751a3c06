/**
 * Keys as JWT issuers: the JWKS of a key (the public JWK of each version, `kid` =
 * `<key id>.<version>`) for relying parties, and compact JWS tokens signed by the current
 * version (ES256, ES384, RS256…PS512, EdDSA by key algorithm).
 *
 * The JWKS lists every version of a live key except those retired by its minimum
 * decryption version: verify refuses them, so relying parties should too. Staged and
 * destroyed keys have no JWKS (as they have no public key). Listing needs `key:read`;
 * signing needs `key:use:<family>` like sign and is audited as `key.sign_jwt` with the
 * JWS algorithm and the size of the claims, never the claims.
 */

import type { Actor, Guard } from "../access/guard.ts";
import { algorithmInfo } from "../core/algorithms.ts";
import { utf8 } from "../core/encoding.ts";
import {
  chooseJwsAlgorithm,
  compactJws,
  jwksEntry,
  type JwsAlgorithm,
  jwsSignOptions,
  jwtSigningInput,
  versionKid,
} from "../core/jws.ts";
import { HsmError } from "../domain/errors.ts";
import { requirePublicReadable } from "../domain/key_lifecycle.ts";
import { minDecryptionVersion } from "../domain/key_schedule.ts";
import type { KeyStore } from "../storage/ports.ts";
import { type KeyUseDeps, loadVersion, observeUse, openKey } from "./key_use.ts";

/** A signed JWT and what signed it. */
export interface SignedJwt {
  readonly jwt: string;
  readonly kid: string;
  readonly alg: JwsAlgorithm;
  readonly version: number;
}

/** Dependencies of the JWT service. */
export interface JwtServiceDeps extends KeyUseDeps {
  readonly guard: Guard;
  readonly store: KeyStore;
}

/** JWKS and JWT signing for stored keys. */
export class JwtService {
  readonly #deps: JwtServiceDeps;

  constructor(deps: JwtServiceDeps) {
    this.#deps = deps;
  }

  /**
   * The public JWKs of the key's unretired versions, ascending.
   * @throws HsmError("invalid_request") for a symmetric key, ("invalid_state") when the
   * key is staged or destroyed
   */
  jwks(actor: Actor, id: string): Promise<Record<string, unknown>[]> {
    const deps = this.#deps;
    return deps.guard.run({ actor, action: "key.jwks", keyId: id }, async (op) => {
      op.authorize("key:read");
      const record = await deps.records.get(id);
      if (!algorithmInfo(record.algorithm)?.asymmetric) {
        throw new HsmError("invalid_request", `Key ${id} is symmetric: it has no public key`);
      }
      requirePublicReadable(record);
      await op.admit(record);
      const min = minDecryptionVersion(record);
      const keys: Record<string, unknown>[] = [];
      for (const sealed of await deps.store.listVersions(id)) {
        if (sealed.version < min || sealed.version > record.currentVersion) continue;
        const loaded = await deps.loader.load(id, sealed.version, record.algorithm);
        const pub = loaded.publicKey?.();
        if (pub === undefined) continue;
        keys.push(
          jwksEntry(record.algorithm, record.usage, pub.jwk, versionKid(id, sealed.version)),
        );
      }
      return keys;
    });
  }

  /**
   * Signs `claims` as a JWT with the current version (`alg`: the key's default JWS
   * algorithm, or one it supports). The header is `{alg, typ: "JWT", kid}`.
   * @throws HsmError("invalid_request") for a key or `alg` without a JWS algorithm, as
   * sign otherwise
   */
  signJwt(
    actor: Actor,
    id: string,
    claims: Readonly<Record<string, unknown>>,
    alg?: string,
  ): Promise<SignedJwt> {
    const deps = this.#deps;
    const claimsJson = JSON.stringify(claims);
    const payload = { alg, claims_bytes: utf8(claimsJson).length };
    return deps.guard.run({ actor, action: "key.sign_jwt", keyId: id, payload }, async (op) => {
      const opened = await openKey(deps, op, id, ["sign"]);
      try {
        const chosen = chooseJwsAlgorithm(opened.record.algorithm, alg);
        const { key, version } = await loadVersion(deps, opened, "sign");
        if (key.sign === undefined) {
          throw new HsmError(
            "invalid_request",
            `Cannot sign with a ${opened.record.algorithm} key`,
          );
        }
        const kid = versionKid(id, version);
        const input = jwtSigningInput(chosen, kid, claims);
        const signature = await key.sign(utf8(input), jwsSignOptions(chosen));
        observeUse(deps, opened.record, "sign_jwt", { version });
        return { jwt: compactJws(input, signature), kid, alg: chosen, version };
      } catch (err) {
        observeUse(deps, opened.record, "sign_jwt", { error: err });
        throw err;
      }
    });
  }
}
