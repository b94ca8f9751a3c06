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
import type { PolicyJson, PolicyVersionJson } from "../src/contract/policies.ts";
import type { PolicyVersionRecord } from "../src/domain/policies.ts";
import type { PolicyView } from "../src/policy/policy_service.ts";

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
    ...(r.retentionClass === undefined ? {} : { retention_class: r.retentionClass }),
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
    // What approvers decide on, for the governance actions (a policy draft, versions).
    ...(a.action.startsWith("policy.") || a.action === "key.purge" ? { params: a.params } : {}),
  };
}

/** The contract's policy object; `script` only when one policy is read. */
export function policyJson(view: PolicyView, withScript = false): PolicyJson {
  const r = view.record;
  const common = {
    id: r.id,
    name: r.name,
    digest: r.digest,
    scope: r.scope as PolicyJson["scope"],
    version: r.version,
    source: view.source,
    ...(withScript ? { script: r.script } : {}),
  };
  if (view.source === "bundle") return { ...common, deleted: false };
  return {
    ...common,
    deleted: view.record.deleted,
    created_at: view.record.createdAt,
    updated_at: view.record.updatedAt,
    author: view.record.author,
  };
}

/** One stored version of a policy. */
export function policyVersionJson(r: PolicyVersionRecord): PolicyVersionJson {
  return {
    version: r.version,
    name: r.name,
    digest: r.digest,
    scope: r.scope as PolicyJson["scope"],
    deleted: r.deleted,
    updated_at: r.updatedAt,
    author: r.author,
    approval_id: r.approvalId,
    script: r.script,
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
    ...(v.purgedAt === undefined ? {} : { purged_at: v.purgedAt }),
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
