/**
 * Domain records → the contract's JSON objects (snake_case field names). The single
 * place that decides what a key or approval looks like on the wire; typed by the
 * contract's schemas, so a field the contract lacks (or lacks here) fails to compile.
 * It never includes key material, sealed blobs or integrity tags.
 */

import type { ApprovalJson } from "../src/contract/approvals.ts";
import type { KeyJson, KeyVersionJson, PublicKeyJson } from "../src/contract/keys.ts";
import { toBase64 } from "../src/core/encoding.ts";
import type { PublicKeyView } from "../src/keys/crypto_service.ts";
import type { ApprovalRecord, KeyRecord } from "../src/domain/records.ts";
import type { VersionInfo } from "../src/keys/key_service.ts";

/** The contract's key object. */
export function keyJson(r: KeyRecord): KeyJson {
  return {
    id: r.id,
    name: r.name,
    algorithm: r.algorithm,
    usage: [...r.usage],
    tags: r.tags,
    state: r.state,
    current_version: r.currentVersion,
    dual_control: r.dualControl,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    origin: r.origin ?? "generated",
    ...(r.rotationPeriod === undefined ? {} : { rotation_period: r.rotationPeriod }),
    ...(r.minDecryptionVersion === undefined
      ? {}
      : { min_decryption_version: r.minDecryptionVersion }),
  };
}

/** The contract's approval object. */
export function approvalJson(a: ApprovalRecord): ApprovalJson {
  return {
    id: a.id,
    action: a.action,
    key_id: a.keyId,
    requested_by: a.requestedBy,
    approvals: a.approvals.map((x) => ({ actor: x.actor, at: x.at })),
    quorum: a.quorum,
    state: a.state,
    created_at: a.createdAt,
    expires_at: a.expiresAt,
  };
}

/** One entry of a key's version list. */
export function versionJson(v: VersionInfo): KeyVersionJson {
  return {
    version: v.version,
    state: v.state,
    created_at: v.createdAt,
    ...(v.sourceVersion === undefined ? {} : { source_version: v.sourceVersion }),
    ...(v.operations === undefined ? {} : { operations: v.operations }),
  };
}

/** A public key version: PEM, JWK and, for post-quantum keys, raw bytes and components. */
export function publicKeyJson(p: PublicKeyView): PublicKeyJson {
  return {
    version: p.version,
    pem: p.pem,
    jwk: p.jwk,
    ...(p.raw === undefined ? {} : { raw: toBase64(p.raw) }),
    ...(p.components === undefined ? {} : {
      components: p.components.map((c) => ({
        algorithm: c.algorithm,
        pem: c.pem,
        jwk: c.jwk,
        raw: toBase64(c.raw),
      })),
    }),
  };
}
