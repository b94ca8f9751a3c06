/**
 * Generates the OpenAPI 3.1 document from the operation table and the contract's zod
 * schemas (zod's JSON Schema output), so the document cannot drift from what the
 * routes validate and answer. Request schemas are described as clients send them
 * (`io: "input"`: base64 strings before decoding), answers as the server writes them.
 */

import { z } from "zod";
import { HSM_ERROR_CODES, type HsmErrorCode } from "../domain/errors.ts";
import * as approvals from "./approvals.ts";
import * as audit from "./audit.ts";
import { ErrorBody } from "./common.ts";
import * as cryptoOps from "./crypto_ops.ts";
import * as health from "./health.ts";
import * as keys from "./keys.ts";
import * as policies from "./policies.ts";
import * as retention from "./retention.ts";
import { type Operation, OPERATIONS } from "./operations.ts";
import { statusForCode } from "./status.ts";

type JsonSchema = Record<string, unknown>;

/** Schemas published under `components.schemas`, by name. */
const RESPONSE_COMPONENTS: Record<string, z.ZodType> = {
  Error: ErrorBody,
  Key: keys.Key,
  StagedKey: keys.StagedKey,
  KeyPage: keys.KeyPage,
  KeyVersionList: keys.KeyVersionList,
  PublicKey: keys.PublicKey,
  Approval: approvals.Approval,
  ApprovalList: approvals.ApprovalList,
  AuditEntry: audit.AuditEntry,
  AuditList: audit.AuditList,
  AuditVerification: audit.AuditVerification,
  EncryptResponse: cryptoOps.EncryptResponse,
  DecryptResponse: cryptoOps.DecryptResponse,
  SignResponse: cryptoOps.SignResponse,
  ValidityResponse: cryptoOps.ValidityResponse,
  MacResponse: cryptoOps.MacResponse,
  EncapsulateResponse: cryptoOps.EncapsulateResponse,
  DecapsulateResponse: cryptoOps.DecapsulateResponse,
  Health: health.Health,
  Readiness: health.Readiness,
  Policy: policies.Policy,
  PolicyList: policies.PolicyList,
  PolicyVersionList: policies.PolicyVersionList,
  DryRunResponse: policies.DryRunResponse,
  Receipt: retention.Receipt,
  ReceiptList: retention.ReceiptList,
  AttestationKey: retention.AttestationKey,
  RetentionRunReport: retention.RetentionRunReport,
};

const REQUEST_COMPONENTS: Record<string, z.ZodType> = {
  CreateKeyRequest: keys.CreateKeyRequest,
  RollbackRequest: keys.RollbackRequest,
  EncryptRequest: cryptoOps.EncryptRequest,
  DecryptRequest: cryptoOps.DecryptRequest,
  SignRequest: cryptoOps.SignRequest,
  VerifyRequest: cryptoOps.VerifyRequest,
  MacRequest: cryptoOps.MacRequest,
  MacVerifyRequest: cryptoOps.MacVerifyRequest,
  DecapsulateRequest: cryptoOps.DecapsulateRequest,
  PolicyRequest: policies.PolicyRequest,
  DryRunRequest: policies.DryRunRequest,
};

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

function components(
  named: Record<string, z.ZodType>,
  io: "input" | "output",
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io, uri: COMPONENT_URI, unrepresentable: "any" });
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
    schemas[id] = rest;
  }
  return schemas;
}

function refOrInline(
  schema: z.ZodType,
  named: Record<string, z.ZodType>,
  io: "input" | "output",
): JsonSchema {
  const id = Object.entries(named).find(([, s]) => s === schema)?.[0];
  if (id !== undefined) return { $ref: COMPONENT_URI(id) };
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

function parameters(op: Operation): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (where: "path" | "query", object: z.ZodObject | undefined) => {
    if (object === undefined) return;
    const json = z.toJSONSchema(object, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        schema,
      });
    }
  };
  add("path", op.params);
  add("query", op.query);
  return out;
}

function errorStatuses(codes: readonly HsmErrorCode[]): Map<number, HsmErrorCode[]> {
  const byStatus = new Map<number, HsmErrorCode[]>();
  for (const code of codes) {
    const status = statusForCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

function operationObject(id: string, op: Operation): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    const mediaType = spec.mediaType ?? "application/json";
    responses[status] = {
      description: spec.description,
      ...(spec.schema === undefined && spec.mediaType !== undefined
        ? { content: { [mediaType]: { schema: { type: "string" } } } }
        : spec.schema === undefined
        ? {}
        : {
          content: {
            [mediaType]: { schema: refOrInline(spec.schema, RESPONSE_COMPONENTS, "output") },
          },
        }),
    };
  }
  for (const [status, codes] of errorStatuses(op.errors)) {
    responses[String(status)] ??= {
      description: `Error: ${codes.join(", ")}`,
      content: { "application/json": { schema: { $ref: COMPONENT_URI("Error") } } },
    };
  }
  const params = parameters(op);
  return {
    operationId: id,
    summary: op.summary,
    ...(op.auth === "none" ? { security: [] } : {}),
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(op.body === undefined ? {} : {
      requestBody: {
        required: true,
        content: {
          "application/json": { schema: refOrInline(op.body, REQUEST_COMPONENTS, "input") },
        },
      },
    }),
    responses,
  };
}

/** `/api/v1/keys/:id` → `/api/v1/keys/{id}`. */
export function openapiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, "{$1}");
}

/** Builds the OpenAPI 3.1 document of the whole API. */
export function openapiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [id, op] of Object.entries(OPERATIONS) as [string, Operation][]) {
    const item = paths[openapiPath(op.path)] ??= {};
    item[op.method] = operationObject(id, op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "FerroHSM API",
      version: "1.0.0",
      description: `Error codes: ${HSM_ERROR_CODES.join(", ")}`,
    },
    components: {
      schemas: {
        ...components(RESPONSE_COMPONENTS, "output"),
        ...components(REQUEST_COMPONENTS, "input"),
      },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
