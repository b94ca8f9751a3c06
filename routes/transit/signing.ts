/**
 * `/v1/transit/{sign,verify,hmac}/:name[/:algorithm]`, single or `batch_input`. Verify
 * checks signatures or, given `hmac`, HMACs (every item of a batch the same kind, as
 * Vault requires). The URL's algorithm wins over `hash_algorithm`/`algorithm` in the
 * body. Parse → translation → Vault's envelope.
 */

import { Hono } from "hono";
import type { AppEnv } from "../../src/http/context.ts";
import { HsmError } from "../../src/domain/errors.ts";
import {
  hmacItem,
  signatureOptions,
  signItem,
  verifyHmacItem,
  verifySignatureItem,
} from "../../src/transit/transit_signing.ts";
import { answerItems, nameParam, readFields, target, type TransitServices } from "./_vault.ts";

const WRITE = ["POST", "PUT"];

/** Routes for Transit signatures and HMACs. */
export function transitSigningRoutes(s: TransitServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.on(WRITE, ["/sign/:name", "/sign/:name/:algorithm"], async (c) => {
    const fields = await readFields(c);
    const options = signatureOptions(fields, c.req.param("algorithm"));
    const t = target(c, s, await s.names.get(c.get("actor"), nameParam(c)));
    return await answerItems(c, fields, (item) => signItem(t, item, options));
  });

  app.on(WRITE, ["/verify/:name", "/verify/:name/:algorithm"], async (c) => {
    const fields = await readFields(c);
    const algorithm = c.req.param("algorithm");
    const items = fields.batch() ?? [fields];
    if (items.some((item) => item.has("hmac") && item.has("signature"))) {
      throw new HsmError("invalid_request", "Provide one of signature or hmac");
    }
    const hmac = items.every((item) => item.has("hmac"));
    if (!hmac && !items.every((item) => item.has("signature"))) {
      throw new HsmError(
        "invalid_request",
        "Give every item one of signature or hmac (all items the same kind)",
      );
    }
    const t = target(c, s, await s.names.get(c.get("actor"), nameParam(c)));
    if (hmac) {
      const alg = algorithm ?? fields.string("algorithm") ?? fields.string("hash_algorithm");
      return await answerItems(c, fields, (item) => verifyHmacItem(t, item, alg || undefined));
    }
    const options = signatureOptions(fields, algorithm);
    return await answerItems(c, fields, (item) => verifySignatureItem(t, item, options));
  });

  app.on(WRITE, ["/hmac/:name", "/hmac/:name/:algorithm"], async (c) => {
    const fields = await readFields(c);
    const alg = c.req.param("algorithm") ?? fields.string("algorithm");
    const options = { algorithm: alg || undefined, keyVersion: fields.int("key_version") };
    const t = target(c, s, await s.names.get(c.get("actor"), nameParam(c)));
    return await answerItems(c, fields, (item) => hmacItem(t, item, options));
  });

  return app;
}
