/**
 * `/api/v1/keys/:id/{encrypt,decrypt,sign,verify,mac,mac/verify,encapsulate,decapsulate}`.
 * Decodes base64 fields, calls the crypto service, encodes results. Data never reaches
 * logs or audit entries (the service records sizes only).
 */

import { Hono } from "hono";
import { z } from "zod";
import { toBase64 } from "../src/core/encoding.ts";
import { HsmError } from "../src/domain/errors.ts";
import type { AppEnv } from "../src/http/context.ts";
import { base64Bytes, keyIdParam, validate, versionNumber } from "../src/http/validation.ts";
import type { CryptoService, SignParams } from "../src/keys/crypto_service.ts";

const encryptBody = z.strictObject({ plaintext: base64Bytes(), aad: base64Bytes().optional() });
const decryptBody = z.strictObject({
  ciphertext: z.string().min(1).max(1_500_000),
  aad: base64Bytes().optional(),
  version: versionNumber.optional(),
});
const signFields = {
  message: base64Bytes().optional(),
  digest: base64Bytes(64).optional(),
  hash: z.enum(["SHA-256", "SHA-384", "SHA-512"]).optional(),
  padding: z.enum(["pkcs1", "pss"]).optional(),
  signature_format: z.enum(["der", "raw"]).optional(),
};
const signBody = z.strictObject(signFields);
const verifyBody = z.strictObject({
  ...signFields,
  signature: base64Bytes(16 * 1024),
  version: versionNumber.optional(),
});
const macBody = z.strictObject({ message: base64Bytes() });
const macVerifyBody = z.strictObject({
  message: base64Bytes(),
  mac: base64Bytes(1024),
  version: versionNumber.optional(),
});
const decapsulateBody = z.strictObject({
  ciphertext: base64Bytes(16 * 1024),
  version: versionNumber.optional(),
});

type SignBody = z.infer<typeof signBody>;

function signParams(body: SignBody): SignParams {
  if ((body.message === undefined) === (body.digest === undefined)) {
    throw new HsmError("invalid_request", "Invalid body: give exactly one of message or digest");
  }
  return {
    data: (body.message ?? body.digest) as Uint8Array,
    prehashed: body.digest !== undefined,
    ...(body.hash === undefined ? {} : { hash: body.hash }),
    ...(body.padding === undefined ? {} : { padding: body.padding }),
    ...(body.signature_format === undefined ? {} : { format: body.signature_format }),
  };
}

/** Routes for cryptographic operations on a key. */
export function cryptoOpsRoutes(ops: CryptoService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", keyIdParam);

  app.post("/:id/encrypt", id, validate("json", encryptBody), async (c) => {
    const b = c.req.valid("json");
    const r = await ops.encrypt(c.get("actor"), c.req.valid("param").id, b.plaintext, b.aad);
    return c.json({ ciphertext: r.value, version: r.version });
  });

  app.post("/:id/decrypt", id, validate("json", decryptBody), async (c) => {
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

  app.post("/:id/sign", id, validate("json", signBody), async (c) => {
    const r = await ops.sign(
      c.get("actor"),
      c.req.valid("param").id,
      signParams(c.req.valid("json")),
    );
    return c.json({ signature: toBase64(r.value), version: r.version });
  });

  app.post("/:id/verify", id, validate("json", verifyBody), async (c) => {
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

  app.post("/:id/mac", id, validate("json", macBody), async (c) => {
    const r = await ops.mac(c.get("actor"), c.req.valid("param").id, c.req.valid("json").message);
    return c.json({ mac: toBase64(r.value), version: r.version });
  });

  app.post("/:id/mac/verify", id, validate("json", macVerifyBody), async (c) => {
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

  app.post("/:id/decapsulate", id, validate("json", decapsulateBody), async (c) => {
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
