/**
 * Helpers for the key-operation route tests: one RSA-3072 wrapping key pair per test
 * file handed to the services as their wrapping-key generator (each token still gets its
 * own sealed copy and is used once), client-side BYOK wrapping, and audit lookups.
 */

import assert from "node:assert/strict";
import { fromBase64, toBase64 } from "../../src/core/encoding.ts";
import {
  generateWrappingKey,
  wrapKeyForImport,
  type WrappingKeyPair,
} from "../../src/core/import_wrapping.ts";
import type { ApiResponse } from "../../testing/server_process.ts";
import type { TestApp } from "./_app.ts";

let shared: Promise<WrappingKeyPair> | undefined;

/** A wrapping-key generator that hands out copies of one pair (fast tests). */
export function fixedWrappingKeys(): () => Promise<WrappingKeyPair> {
  shared ??= generateWrappingKey();
  return async () => {
    const pair = await shared as WrappingKeyPair;
    return { material: pair.material.slice(), spki: pair.spki.slice() };
  };
}

/** DER of a PEM block. */
export function pemBody(pem: string): Uint8Array {
  const bytes = fromBase64(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""));
  assert.ok(bytes !== undefined, "PEM body is base64");
  return bytes;
}

/** Asks for import parameters of `algorithm` (asserting 200). */
export async function importParams(
  t: TestApp,
  token: string,
  algorithm: string,
): Promise<{ token: string; spki: Uint8Array }> {
  const r = await t.call(token, "POST", "/api/v1/keys/import-params", { algorithm });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { token: r.body.import_token, spki: pemBody(r.body.wrapping_public_key_pem) };
}

/** Imports `material` as a new key (or, with `key_id` in `extra`, a new version). */
export async function importMaterial(
  t: TestApp,
  token: string,
  algorithm: string,
  material: Uint8Array,
  extra: Record<string, unknown> = {},
): Promise<ApiResponse> {
  const params = await importParams(t, token, algorithm);
  const wrapped = await wrapKeyForImport(params.spki, material);
  return await t.call(token, "POST", "/api/v1/keys/import", {
    name: `imported ${algorithm}`,
    algorithm,
    import_token: params.token,
    wrapped_key: toBase64(wrapped),
    ...extra,
  });
}

/** One audit entry as the API lists it. */
export interface AuditItem {
  readonly seq: number;
  readonly actor: string;
  readonly action: string;
  readonly key_id: string | null;
  readonly result: string;
  readonly payload_hash: string;
}

/** The audit entries with `action` (oldest first), read by an Auditor. */
export async function auditOf(t: TestApp, action: string): Promise<AuditItem[]> {
  const auditor = await t.inst.token("auditor", ["Auditor"]);
  const r = await t.call(auditor, "GET", "/api/v1/audit?limit=1000");
  assert.equal(r.status, 200);
  return (r.body.items as AuditItem[]).filter((e) => e.action === action);
}
