/**
 * `/api/v1/keys/:id/{encrypt,decrypt,sign,verify,mac,mac/verify,encapsulate,decapsulate}`.
 * Validates with the contract's schemas (which decode base64), calls the crypto service,
 * encodes results. Data never reaches logs or audit entries (the service records sizes).
 */

import { Hono } from "hono";
import { idParam } from "../src/contract/common.ts";
import {
  DecapsulateRequest,
  DecryptRequest,
  EncryptRequest,
  MacRequest,
  MacVerifyRequest,
  type SignBody,
  SignRequest,
  VerifyRequest,
} from "../src/contract/crypto_ops.ts";
import { toBase64 } from "../src/core/encoding.ts";
import { HsmError } from "../src/domain/errors.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import type { CryptoService, SignParams } from "../src/keys/crypto_service.ts";

/**
 * The crypto service's sign parameters of a sign/verify body.
 * @throws HsmError("invalid_request") unless exactly one of message or digest is given
 */
export function signParams(body: SignBody): SignParams {
  if ((body.message === undefined) === (body.digest === undefined)) {
    throw new HsmError("invalid_request", "Invalid body: give exactly one of message or digest");
  }
  return {
    data: (body.message ?? body.digest) as Uint8Array,
    prehashed: body.digest !== undefined,
    ...(body.hash === undefined ? {} : { hash: body.hash }),
    ...(body.padding === undefined ? {} : { padding: body.padding }),
    ...(body.signature_format === undefined ? {} : { format: body.signature_format }),
    ...(body.context === undefined ? {} : { context: body.context }),
    ...(body.prehash === undefined ? {} : { prehash: body.prehash }),
  };
}

/** Routes for cryptographic operations on a key. */
export function cryptoOpsRoutes(ops: CryptoService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", idParam);

  app.post("/:id/encrypt", id, validate("json", EncryptRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.encrypt(c.get("actor"), c.req.valid("param").id, b.plaintext, b.aad);
    return c.json({ ciphertext: r.value, version: r.version });
  });

  app.post("/:id/decrypt", id, validate("json", DecryptRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.decrypt(
      c.get("actor"),
      c.req.valid("param").id,
      b.ciphertext,
      b.aad,
      b.version,
    );
    return c.json({ plaintext: toBase64(r.value), version: r.version });
  });

  app.post("/:id/sign", id, validate("json", SignRequest), async (c) => {
    const r = await ops.sign(
      c.get("actor"),
      c.req.valid("param").id,
      signParams(c.req.valid("json")),
    );
    return c.json({ signature: toBase64(r.value), version: r.version });
  });

  app.post("/:id/verify", id, validate("json", VerifyRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.verify(
      c.get("actor"),
      c.req.valid("param").id,
      signParams(b),
      b.signature,
      b.version,
    );
    return c.json({ valid: r.value, version: r.version });
  });

  app.post("/:id/mac", id, validate("json", MacRequest), async (c) => {
    const r = await ops.mac(c.get("actor"), c.req.valid("param").id, c.req.valid("json").message);
    return c.json({ mac: toBase64(r.value), version: r.version });
  });

  app.post("/:id/mac/verify", id, validate("json", MacVerifyRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.macVerify(
      c.get("actor"),
      c.req.valid("param").id,
      b.message,
      b.mac,
      b.version,
    );
    return c.json({ valid: r.value, version: r.version });
  });

  app.post("/:id/encapsulate", id, async (c) => {
    const r = await ops.encapsulate(c.get("actor"), c.req.valid("param").id);
    return c.json({
      ciphertext: toBase64(r.value.ciphertext),
      shared_secret: toBase64(r.value.sharedSecret),
      version: r.version,
    });
  });

  app.post("/:id/decapsulate", id, validate("json", DecapsulateRequest), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.decapsulate(
      c.get("actor"),
      c.req.valid("param").id,
      b.ciphertext,
      b.version,
    );
    return c.json({ shared_secret: toBase64(r.value), version: r.version });
  });

  return app;
}
