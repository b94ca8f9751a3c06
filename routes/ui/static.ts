/**
 * `GET /static/<name>.<digest>.<ext>`: the dashboard's embedded assets (htmx, our CSS
 * and script, the icon). The digest in the URL names the content, so answers are
 * cacheable for a year (`immutable`); any other path under `/static` is 404.
 */

import { Hono } from "hono";
import type { AppEnv } from "../../src/http/context.ts";
import { assetAt } from "../../views/assets.ts";

/** Routes serving the static assets. */
export function staticRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/static/:file", (c) => {
    const asset = assetAt(c.req.path);
    if (asset === undefined) {
      return c.body("Not found\n", 404, { "Content-Type": "text/plain; charset=utf-8" });
    }
    return c.body(asset.body, 200, {
      "Content-Type": asset.contentType,
      "Cache-Control": "public, max-age=31536000, immutable",
    });
  });
  return app;
}
