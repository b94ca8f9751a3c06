/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the whole API (public,
 * no credentials needed). Built from compact tables so it stays in step with the
 * contract; schemas name the contract's fields.
 */

import { Hono } from "hono";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../src/domain/algorithms.ts";
import type { AppEnv } from "../src/http/context.ts";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: "string" };
const b64: Schema = { type: "string", contentEncoding: "base64" };
const int: Schema = { type: "integer", minimum: 1 };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str }, ["code", "message"]) }, ["error"]),
  Key: obj({
    id: str,
    name: str,
    algorithm: { enum: [...ALGORITHM_NAMES] },
    usage: { type: "array", items: { enum: [...USAGE_NAMES] } },
    tags: { type: "object", additionalProperties: str },
    state: { enum: ["staged", "active", "revoked", "destroyed"] },
    current_version: int,
    dual_control: { type: "boolean" },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
  }, ["id", "name", "algorithm", "usage", "tags", "state", "current_version"]),
  Approval: obj({
    id: str,
    action: str,
    key_id: { type: ["string", "null"] },
    requested_by: str,
    approvals: { type: "array", items: obj({ actor: str, at: str }, ["actor", "at"]) },
    quorum: int,
    state: { enum: ["pending", "approved", "denied", "executed", "expired"] },
    created_at: str,
    expires_at: str,
  }, ["id", "action", "requested_by", "approvals", "quorum", "state"]),
  AuditEntry: obj({
    seq: int,
    ts: str,
    actor: str,
    action: str,
    key_id: { type: ["string", "null"] },
    result: str,
    payload_hash: str,
    prev_hash: str,
    mac: str,
  }),
};

const errorResponses = Object.fromEntries(
  [400, 401, 403, 404, 409, 413, 422, 429, 503].map((s) => [
    String(s),
    { description: "Error", content: { "application/json": { schema: ref("Error") } } },
  ]),
);

function op(summary: string, body: Schema | undefined, ok: [number, Schema], query?: Schema[]) {
  return {
    summary,
    ...(query === undefined ? {} : { parameters: query }),
    ...(body === undefined
      ? {}
      : { requestBody: { required: true, content: { "application/json": { schema: body } } } }),
    responses: {
      [String(ok[0])]: { description: "OK", content: { "application/json": { schema: ok[1] } } },
      ...errorResponses,
    },
  };
}

const q = (name: string, schema: Schema) => ({ name, in: "query", required: false, schema });
const idParam = { name: "id", in: "path", required: true, schema: str };
const signFields = {
  message: b64,
  digest: b64,
  hash: { enum: ["SHA-256", "SHA-384", "SHA-512"] },
  padding: { enum: ["pkcs1", "pss"] },
  signature_format: { enum: ["der", "raw"] },
};
const versioned = (field: string, schema: Schema = b64) =>
  obj({ [field]: schema, version: int }, [field, "version"]);

/** The OpenAPI document. */
export function openapiDocument(): Record<string, unknown> {
  const withId = (item: Record<string, unknown>) => ({ parameters: [idParam], ...item });
  return {
    openapi: "3.1.0",
    info: { title: "FerroHSM API", version: "1.0.0" },
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
    security: [{ bearer: [] }],
    paths: {
      "/api/v1/keys": {
        post: op(
          "Create a key",
          obj({
            name: str,
            algorithm: { enum: [...ALGORITHM_NAMES] },
            usage: { type: "array", items: { enum: [...USAGE_NAMES] } },
            tags: { type: "object", additionalProperties: str },
            dual_control: { type: "boolean" },
          }, ["name", "algorithm"]),
          [201, ref("Key")],
        ),
        get: op("List keys", undefined, [
          200,
          obj({
            items: { type: "array", items: ref("Key") },
            page: int,
            per_page: int,
            total: { type: "integer" },
          }),
        ], [
          q("page", int),
          q("per_page", { type: "integer", maximum: 100 }),
          q("algorithm", str),
          q("state", str),
          q("tag", str),
        ]),
      },
      "/api/v1/keys/{id}": withId({
        get: op("Get a key", undefined, [200, ref("Key")]),
        delete: op("Request destruction (dual control)", undefined, [202, ref("Approval")]),
      }),
      "/api/v1/keys/{id}/public": withId({
        get: op("Public key (PEM SPKI and JWK)", undefined, [
          200,
          obj({ version: int, pem: str, jwk: { type: "object" } }),
        ], [q("version", int)]),
      }),
      "/api/v1/keys/{id}/rotate": withId({ post: op("Rotate", undefined, [200, ref("Key")]) }),
      "/api/v1/keys/{id}/versions": withId({
        get: op("List versions", undefined, [
          200,
          obj({
            items: {
              type: "array",
              items: obj({ version: int, state: str, created_at: str, source_version: int }),
            },
          }),
        ]),
      }),
      "/api/v1/keys/{id}/rollback": withId({
        post: op("Roll back to a version", obj({ version: int }, ["version"]), [200, ref("Key")]),
      }),
      "/api/v1/keys/{id}/revoke": withId({ post: op("Revoke", undefined, [200, ref("Key")]) }),
      "/api/v1/keys/{id}/encrypt": withId({
        post: op("Encrypt", obj({ plaintext: b64, aad: b64 }, ["plaintext"]), [
          200,
          versioned("ciphertext", str),
        ]),
      }),
      "/api/v1/keys/{id}/decrypt": withId({
        post: op("Decrypt", obj({ ciphertext: str, aad: b64, version: int }, ["ciphertext"]), [
          200,
          versioned("plaintext"),
        ]),
      }),
      "/api/v1/keys/{id}/sign": withId({
        post: op("Sign", obj(signFields), [200, versioned("signature")]),
      }),
      "/api/v1/keys/{id}/verify": withId({
        post: op(
          "Verify",
          obj({ ...signFields, signature: b64, version: int }, ["signature"]),
          [200, versioned("valid", { type: "boolean" })],
        ),
      }),
      "/api/v1/keys/{id}/mac": withId({
        post: op("MAC", obj({ message: b64 }, ["message"]), [200, versioned("mac")]),
      }),
      "/api/v1/keys/{id}/mac/verify": withId({
        post: op(
          "Verify a MAC",
          obj({ message: b64, mac: b64, version: int }, ["message", "mac"]),
          [200, versioned("valid", { type: "boolean" })],
        ),
      }),
      "/api/v1/keys/{id}/encapsulate": withId({
        post: op("Encapsulate", undefined, [
          200,
          obj({ ciphertext: b64, shared_secret: b64, version: int }),
        ]),
      }),
      "/api/v1/keys/{id}/decapsulate": withId({
        post: op("Decapsulate", obj({ ciphertext: b64, version: int }, ["ciphertext"]), [
          200,
          versioned("shared_secret"),
        ]),
      }),
      "/api/v1/approvals": {
        get: op("List approvals", undefined, [
          200,
          obj({ items: { type: "array", items: ref("Approval") } }),
        ], [q("state", str)]),
      },
      "/api/v1/approvals/{id}": withId({
        get: op("Get an approval", undefined, [200, ref("Approval")]),
      }),
      "/api/v1/approvals/{id}/approve": withId({
        post: op("Approve", undefined, [200, ref("Approval")]),
      }),
      "/api/v1/approvals/{id}/deny": withId({
        post: op("Deny", undefined, [200, ref("Approval")]),
      }),
      "/api/v1/audit": {
        get: op("Audit entries", undefined, [
          200,
          obj({ items: { type: "array", items: ref("AuditEntry") } }),
        ], [q("after_seq", { type: "integer" }), q("limit", { type: "integer", maximum: 1000 })]),
      },
      "/api/v1/audit/verify": {
        get: op("Verify the audit chain", undefined, [200, {
          type: "object",
          properties: {
            valid: { type: "boolean" },
            entries: { type: "integer" },
            head: str,
            first_bad_seq: { type: "integer" },
            reason: str,
          },
        }]),
      },
      "/healthz": {
        get: { security: [], summary: "Health", responses: { "200": { description: "OK" } } },
      },
      "/metrics": {
        get: {
          security: [],
          summary:
            "Prometheus metrics (text format 0.0.4; bearer + metrics:read with --metrics-auth)",
          responses: { "200": { description: "text/plain; version=0.0.4" } },
        },
      },
      "/readyz": {
        get: { security: [], summary: "Readiness", responses: { "200": { description: "Ready" } } },
      },
    },
  };
}

/** Serves the OpenAPI document. */
export function openapiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const doc = openapiDocument();
  app.get("/api/v1/openapi.json", (c) => c.json(doc));
  return app;
}
