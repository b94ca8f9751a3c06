/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the whole API (public, no
 * credentials needed), generated once from the contract module.
 */

import { Hono } from "hono";
import { openapiDocument } from "../src/contract/openapi.ts";
import type { AppEnv } from "../src/http/context.ts";

/** Serves the OpenAPI document. */
export function openapiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const doc = openapiDocument();
  app.get("/api/v1/openapi.json", (c) => c.json(doc));
  return app;
}
