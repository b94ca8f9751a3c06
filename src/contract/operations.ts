/**
 * Every operation of the HTTP API in one table: method, path, authentication, the
 * schemas of its path parameters, query and body, and each status it may answer with
 * the schema of that answer. Routes validate with these schemas, the OpenAPI document
 * is generated from this table, and a test checks that the app registers exactly these
 * routes and answers only the statuses declared here.
 */

import { z } from "zod";
import { HSM_ERROR_CODES, type HsmErrorCode } from "../domain/errors.ts";
import { Approval, ApprovalList, ListApprovalsQuery } from "./approvals.ts";
import { AuditList, AuditVerification, ListAuditQuery } from "./audit.ts";
import { ErrorBody, idParam } from "./common.ts";
import {
  DecapsulateRequest,
  DecapsulateResponse,
  DecryptRequest,
  DecryptResponse,
  EncapsulateResponse,
  EncryptRequest,
  EncryptResponse,
  MacRequest,
  MacResponse,
  MacVerifyRequest,
  SignRequest,
  SignResponse,
  ValidityResponse,
  VerifyRequest,
} from "./crypto_ops.ts";
import { Health, Readiness } from "./health.ts";
import {
  BatchRequest,
  DataKeyRequest,
  DataKeyResponse,
  DecryptBatchResponse,
  EncryptBatchResponse,
  ImportKeyRequest,
  ImportParamsRequest,
  ImportParamsResponse,
  JwksResponse,
  RewrapRequest,
  RewrapResponse,
  SignBatchResponse,
  SignJwtRequest,
  SignJwtResponse,
  UpdateKeyRequest,
} from "./key_operations.ts";
import {
  DryRunRequest,
  DryRunResponse,
  Policy,
  PolicyList,
  PolicyRequest,
  PolicyVersionList,
} from "./policies.ts";
import { AttestationKey, ListReceiptsQuery, ReceiptList, RetentionRunReport } from "./retention.ts";
import {
  CreateKeyRequest,
  Key,
  KeyPage,
  KeyVersionList,
  ListKeysQuery,
  PublicKey,
  PublicKeyQuery,
  RollbackRequest,
  StagedKey,
} from "./keys.ts";

/** An HTTP method the API uses. */
export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** One answer an operation may give: a JSON schema, or a non-JSON media type. */
export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Media type when the body is not JSON (e.g. Prometheus text). */
  readonly mediaType?: string;
}

/** One operation of the API. */
export interface Operation {
  readonly method: HttpMethod;
  /** Hono-style path, e.g. `/api/v1/keys/:id`. */
  readonly path: string;
  readonly summary: string;
  /** `bearer`: a JWT is required; `none`: open. */
  readonly auth: "bearer" | "none";
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Success (and other non-error) answers by status. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Error codes the operation may answer with the contract's error body. */
  readonly errors: readonly HsmErrorCode[];
}

/**
 * Errors any authenticated API call may answer: every code of the contract (including
 * `policy_denied`, which policy scripts answer on key operations).
 */
const API_ERRORS: readonly HsmErrorCode[] = HSM_ERROR_CODES;

/** Errors an open endpoint may answer. */
const OPEN_ERRORS: readonly HsmErrorCode[] = ["invalid_request", "internal"];

function ok(schema: z.ZodType, description = "OK"): ResponseSpec {
  return { description, schema };
}

function api(
  method: HttpMethod,
  path: string,
  summary: string,
  spec: Omit<Operation, "method" | "path" | "summary" | "auth" | "errors">,
): Operation {
  const params = path.includes("/:id") ? { params: idParam } : {};
  return { method, path, summary, auth: "bearer", errors: API_ERRORS, ...params, ...spec };
}

const policyChanged = (status: 200 | 201, description: string) => ({
  [status]: ok(Policy, description),
  202: ok(Approval, "Held for approval (dual control)"),
});

const changed = {
  200: ok(Key, "The changed key"),
  202: ok(Approval, "Held for approval (dual control)"),
};

/** The API, by operation id. */
export const OPERATIONS = {
  createKey: api("post", "/api/v1/keys", "Create a key", {
    body: CreateKeyRequest,
    responses: {
      201: ok(Key, "Created, active"),
      202: ok(StagedKey, "Created staged, with its activation approval (dual control)"),
    },
  }),
  listKeys: api("get", "/api/v1/keys", "List keys", {
    query: ListKeysQuery,
    responses: { 200: ok(KeyPage) },
  }),
  getKey: api("get", "/api/v1/keys/:id", "Get a key", { responses: { 200: ok(Key) } }),
  destroyKey: api("delete", "/api/v1/keys/:id", "Request destruction (dual control)", {
    responses: { 202: ok(Approval, "Destruction approval opened") },
  }),
  getPublicKey: api("get", "/api/v1/keys/:id/public", "Public key (SPKI PEM and JWK)", {
    query: PublicKeyQuery,
    responses: { 200: ok(PublicKey) },
  }),
  rotateKey: api("post", "/api/v1/keys/:id/rotate", "Rotate", { responses: changed }),
  listVersions: api("get", "/api/v1/keys/:id/versions", "List versions", {
    responses: { 200: ok(KeyVersionList) },
  }),
  rollbackKey: api("post", "/api/v1/keys/:id/rollback", "Roll back to a version", {
    body: RollbackRequest,
    responses: changed,
  }),
  revokeKey: api("post", "/api/v1/keys/:id/revoke", "Revoke", {
    responses: { 200: ok(Key, "The revoked key") },
  }),
  encrypt: api("post", "/api/v1/keys/:id/encrypt", "Encrypt", {
    body: EncryptRequest,
    responses: { 200: ok(EncryptResponse) },
  }),
  decrypt: api("post", "/api/v1/keys/:id/decrypt", "Decrypt", {
    body: DecryptRequest,
    responses: { 200: ok(DecryptResponse) },
  }),
  sign: api("post", "/api/v1/keys/:id/sign", "Sign a message or digest", {
    body: SignRequest,
    responses: { 200: ok(SignResponse) },
  }),
  verify: api("post", "/api/v1/keys/:id/verify", "Verify a signature", {
    body: VerifyRequest,
    responses: { 200: ok(ValidityResponse) },
  }),
  mac: api("post", "/api/v1/keys/:id/mac", "Compute a MAC", {
    body: MacRequest,
    responses: { 200: ok(MacResponse) },
  }),
  macVerify: api("post", "/api/v1/keys/:id/mac/verify", "Verify a MAC", {
    body: MacVerifyRequest,
    responses: { 200: ok(ValidityResponse) },
  }),
  encapsulate: api("post", "/api/v1/keys/:id/encapsulate", "Encapsulate a shared secret", {
    responses: { 200: ok(EncapsulateResponse) },
  }),
  decapsulate: api("post", "/api/v1/keys/:id/decapsulate", "Decapsulate a shared secret", {
    body: DecapsulateRequest,
    responses: { 200: ok(DecapsulateResponse) },
  }),
  importParams: api("post", "/api/v1/keys/import-params", "BYOK: a wrapping key and token", {
    body: ImportParamsRequest,
    responses: { 200: ok(ImportParamsResponse) },
  }),
  importKey: api("post", "/api/v1/keys/import", "BYOK: import wrapped key material", {
    body: ImportKeyRequest,
    responses: {
      200: ok(Key, "A new version added to an imported key"),
      201: ok(Key, "Imported as a new key"),
    },
  }),
  updateKey: api("patch", "/api/v1/keys/:id", "Change tags, rotation period, minimum version", {
    body: UpdateKeyRequest,
    responses: { 200: ok(Key) },
  }),
  dataKey: api("post", "/api/v1/keys/:id/datakey", "Generate a data key (envelope encryption)", {
    body: DataKeyRequest,
    responses: { 200: ok(DataKeyResponse) },
  }),
  rewrap: api("post", "/api/v1/keys/:id/rewrap", "Re-encrypt under the current version", {
    body: RewrapRequest,
    responses: { 200: ok(RewrapResponse) },
  }),
  encryptBatch: api("post", "/api/v1/keys/:id/encrypt/batch", "Encrypt up to 1000 items", {
    body: BatchRequest,
    responses: { 200: ok(EncryptBatchResponse) },
  }),
  decryptBatch: api("post", "/api/v1/keys/:id/decrypt/batch", "Decrypt up to 1000 items", {
    body: BatchRequest,
    responses: { 200: ok(DecryptBatchResponse) },
  }),
  signBatch: api("post", "/api/v1/keys/:id/sign/batch", "Sign up to 1000 items", {
    body: BatchRequest,
    responses: { 200: ok(SignBatchResponse) },
  }),
  jwks: api("get", "/api/v1/keys/:id/jwks", "Public keys of every version as a JWK Set", {
    responses: { 200: ok(JwksResponse) },
  }),
  signJwt: api("post", "/api/v1/keys/:id/sign-jwt", "Sign claims as a compact JWS (JWT)", {
    body: SignJwtRequest,
    responses: { 200: ok(SignJwtResponse) },
  }),
  listApprovals: api("get", "/api/v1/approvals", "List approvals", {
    query: ListApprovalsQuery,
    responses: { 200: ok(ApprovalList) },
  }),
  getApproval: api("get", "/api/v1/approvals/:id", "Get an approval", {
    responses: { 200: ok(Approval) },
  }),
  approve: api("post", "/api/v1/approvals/:id/approve", "Approve (executes at quorum)", {
    responses: { 200: ok(Approval) },
  }),
  deny: api("post", "/api/v1/approvals/:id/deny", "Deny", { responses: { 200: ok(Approval) } }),
  listPolicies: api("get", "/api/v1/policies", "List policy scripts", {
    responses: { 200: ok(PolicyList) },
  }),
  createPolicy: api("post", "/api/v1/policies", "Create a policy script", {
    body: PolicyRequest,
    responses: policyChanged(201, "Created"),
  }),
  getPolicy: api("get", "/api/v1/policies/:id", "Get a policy script", {
    responses: { 200: ok(Policy) },
  }),
  updatePolicy: api("put", "/api/v1/policies/:id", "Replace a policy script (a new version)", {
    body: PolicyRequest,
    responses: policyChanged(200, "Updated"),
  }),
  deletePolicy: api("delete", "/api/v1/policies/:id", "Delete a policy script", {
    responses: policyChanged(200, "Deleted (its versions are kept)"),
  }),
  listPolicyVersions: api("get", "/api/v1/policies/:id/versions", "A policy's versions", {
    responses: { 200: ok(PolicyVersionList) },
  }),
  dryRunPolicy: api("post", "/api/v1/policies/:id/dry-run", "Run a policy on a sample context", {
    body: DryRunRequest,
    responses: { 200: ok(DryRunResponse) },
  }),
  listReceipts: api("get", "/api/v1/retention/receipts", "Destruction receipts", {
    query: ListReceiptsQuery,
    responses: { 200: ok(ReceiptList) },
  }),
  attestationKey: api(
    "get",
    "/api/v1/retention/attestation-key",
    "The public key that verifies receipts",
    { responses: { 200: ok(AttestationKey) } },
  ),
  runRetention: api("post", "/api/v1/retention/run", "Run the retention scheduler now", {
    responses: { 200: ok(RetentionRunReport) },
  }),
  listAudit: api("get", "/api/v1/audit", "Audit entries", {
    query: ListAuditQuery,
    responses: { 200: ok(AuditList) },
  }),
  verifyAudit: api("get", "/api/v1/audit/verify", "Verify the audit chain", {
    responses: { 200: ok(AuditVerification) },
  }),
  health: {
    method: "get",
    path: "/healthz",
    summary: "Health",
    auth: "none",
    responses: { 200: ok(Health, "Healthy"), 503: ok(Health, "Degraded or starting") },
    errors: OPEN_ERRORS,
  },
  ready: {
    method: "get",
    path: "/readyz",
    summary: "Readiness",
    auth: "none",
    responses: { 200: ok(Readiness, "Ready"), 503: ok(Readiness, "Starting") },
    errors: OPEN_ERRORS,
  },
  metrics: {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (bearer token with metrics:read under --metrics-auth)",
    auth: "none",
    responses: {
      200: { description: "Text format 0.0.4", mediaType: "text/plain; version=0.0.4" },
    },
    errors: [...OPEN_ERRORS, "unauthenticated", "forbidden"],
  },
  openapi: {
    method: "get",
    path: "/api/v1/openapi.json",
    summary: "This OpenAPI document",
    auth: "none",
    responses: { 200: ok(z.record(z.string(), z.unknown()), "OpenAPI 3.1") },
    errors: OPEN_ERRORS,
  },
} as const satisfies Record<string, Operation>;

/** An operation id. */
export type OperationId = keyof typeof OPERATIONS;

/** The contract's error body schema (re-used by every error answer). */
export const ERROR_RESPONSE: ResponseSpec = { description: "Error", schema: ErrorBody };
