/**
 * Key operations under `/api/v1/keys`: BYOK (`import-params`, `import`), settings
 * (`PATCH /:id`), data keys and rewrap, batch encrypt/decrypt/sign, JWKS and sign-jwt.
 * Parse (contract schemas; batch items one by one with the single call's schema) → call
 * a service → render. Plaintext data keys and decrypted items are wiped once encoded.
 */

import { Hono } from "hono";
import type { z } from "zod";
import { idParam } from "../src/contract/common.ts";
import { DecryptRequest, EncryptRequest, SignRequest } from "../src/contract/crypto_ops.ts";
import {
  BatchRequest,
  DataKeyRequest,
  ImportKeyRequest,
  ImportParamsRequest,
  RewrapRequest,
  SignJwtRequest,
  UpdateKeyRequest,
} from "../src/contract/key_operations.ts";
import { toBase64 } from "../src/core/encoding.ts";
import { toPem } from "../src/core/pem.ts";
import { wipe } from "../src/core/zeroize.ts";
import { HsmError } from "../src/domain/errors.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import { artifactDigest } from "../src/keys/batch_audit.ts";
import type { BatchInput, BatchResult, BatchService } from "../src/keys/batch_service.ts";
import type { EnvelopeService } from "../src/keys/envelope_service.ts";
import type { JwtService } from "../src/keys/jwt_service.ts";
import type { KeyImportService } from "../src/keys/key_import_service.ts";
import type { KeySettingsService } from "../src/keys/key_settings_service.ts";
import { signParams } from "./crypto_ops.ts";
import { keyJson } from "./serialize.ts";

/** The services behind these routes. */
export interface KeyOperationServices {
  readonly imports: KeyImportService;
  readonly settings: KeySettingsService;
  readonly envelope: EnvelopeService;
  readonly batches: BatchService;
  readonly jwt: JwtService;
}

/** Parses each batch item with `schema`; a malformed item becomes its own error. */
function parseItems<S extends z.ZodType, P>(
  items: readonly Record<string, unknown>[],
  schema: S,
  map: (body: z.output<S>) => P,
  ref: (raw: Record<string, unknown>) => string | undefined = () => undefined,
): BatchInput<P>[] {
  return items.map((item) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "item";
      const message = `Invalid ${where}: ${issue?.message ?? "malformed"}`;
      return { error: new HsmError("invalid_request", message), ref: ref(item) };
    }
    try {
      return { params: map(parsed.data) };
    } catch (err) {
      if (err instanceof HsmError) return { error: err, ref: ref(item) };
      throw err;
    }
  });
}

/** The decrypt batch audit ref of a raw item: its ciphertext text, when it has one. */
function ciphertextRef(raw: Record<string, unknown>): string | undefined {
  return typeof raw.ciphertext === "string" ? artifactDigest(raw.ciphertext) : undefined;
}

/** Renders batch results in order: each its fields or its `error`. */
function renderItems<T>(
  results: readonly BatchResult<T>[],
  render: (value: T) => Record<string, string>,
): Record<string, unknown>[] {
  return results.map((r) =>
    "error" in r
      ? { error: { code: r.error.code, message: r.error.message } }
      : { ...render(r.value), version: r.version }
  );
}

/** Routes for the key operations. */
export function keyOperationsRoutes(services: KeyOperationServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", idParam);

  app.post("/import-params", validate("json", ImportParamsRequest), async (c) => {
    const p = await services.imports.importParams(c.get("actor"), c.req.valid("json").algorithm);
    return c.json({
      import_token: p.importToken,
      wrapping_public_key_pem: toPem("PUBLIC KEY", p.wrappingPublicKey),
      wrapping_algorithm: p.wrappingAlgorithm,
      expires_at: p.expiresAt,
    });
  });

  app.post("/import", validate("json", ImportKeyRequest), async (c) => {
    const b = c.req.valid("json");
    try {
      const key = await services.imports.importKey(c.get("actor"), {
        algorithm: b.algorithm,
        importToken: b.import_token,
        wrappedKey: b.wrapped_key,
        name: b.name,
        usage: b.usage,
        tags: b.tags,
        keyId: b.key_id,
      });
      return c.json(keyJson(key), b.key_id === undefined ? 201 : 200);
    } finally {
      wipe(b.wrapped_key);
    }
  });

  app.patch("/:id", id, validate("json", UpdateKeyRequest), async (c) => {
    const b = c.req.valid("json");
    const key = await services.settings.update(c.get("actor"), c.req.valid("param").id, {
      tags: b.tags,
      rotationPeriod: b.rotation_period,
      minDecryptionVersion: b.min_decryption_version,
    });
    return c.json(keyJson(key));
  });

  app.post("/:id/datakey", id, validate("json", DataKeyRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await services.envelope.dataKey(c.get("actor"), c.req.valid("param").id, {
      bits: b.bits,
      plaintext: b.plaintext,
      aad: b.aad,
    });
    const plaintext = r.plaintext === undefined ? {} : { plaintext: toBase64(r.plaintext) };
    wipe(r.plaintext);
    return c.json({ ciphertext: r.ciphertext, ...plaintext, version: r.version });
  });

  app.post("/:id/rewrap", id, validate("json", RewrapRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await services.envelope.rewrap(c.get("actor"), c.req.valid("param").id, {
      ciphertext: b.ciphertext,
      aad: b.aad,
      version: b.version,
    });
    return c.json({ ciphertext: r.ciphertext, version: r.version });
  });

  app.post("/:id/encrypt/batch", id, validate("json", BatchRequest), async (c) => {
    const items = parseItems(c.req.valid("json").items, EncryptRequest, (b) => b);
    const results = await services.batches.encrypt(c.get("actor"), c.req.valid("param").id, items);
    return c.json({ items: renderItems(results, (ciphertext) => ({ ciphertext })) });
  });

  app.post("/:id/decrypt/batch", id, validate("json", BatchRequest), async (c) => {
    const items = parseItems(c.req.valid("json").items, DecryptRequest, (b) => b, ciphertextRef);
    const results = await services.batches.decrypt(c.get("actor"), c.req.valid("param").id, items);
    const body = renderItems(results, (plaintext) => ({ plaintext: toBase64(plaintext) }));
    for (const r of results) if ("value" in r) wipe(r.value);
    return c.json({ items: body });
  });

  app.post("/:id/sign/batch", id, validate("json", BatchRequest), async (c) => {
    const items = parseItems(c.req.valid("json").items, SignRequest, signParams);
    const results = await services.batches.sign(c.get("actor"), c.req.valid("param").id, items);
    return c.json({ items: renderItems(results, (sig) => ({ signature: toBase64(sig) })) });
  });

  app.get("/:id/jwks", id, async (c) => {
    return c.json({ keys: await services.jwt.jwks(c.get("actor"), c.req.valid("param").id) });
  });

  app.post("/:id/sign-jwt", id, validate("json", SignJwtRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await services.jwt.signJwt(c.get("actor"), c.req.valid("param").id, b.claims, b.alg);
    return c.json({ jwt: r.jwt, kid: r.kid, alg: r.alg, version: r.version });
  });

  return app;
}
