/**
 * What a Hono middleware layer costs (issue 12's "one pass for request id, limits and
 * metrics"): the same in-process app answering a JSON GET behind six pass-through
 * middlewares and behind one. The difference is what merging our five always-on layers
 * into one could save per request.
 *
 *   deno bench --allow-read --allow-env bench/hono_layers_bench.ts
 */

import { Hono } from "hono";

/** An app with `layers` pass-through middlewares before one JSON route. */
function appWith(layers: number): Hono {
  const app = new Hono();
  for (let i = 0; i < layers; i++) {
    app.use("*", async (_c, next) => {
      await next();
    });
  }
  app.get("/x", (c) => c.json({ ok: true }));
  return app;
}

const six = appWith(6);
const one = appWith(1);
const request = new Request("http://localhost/x");

Deno.bench("Hono JSON GET behind 6 middleware layers", { group: "layers" }, async () => {
  await six.fetch(request);
});

Deno.bench(
  "Hono JSON GET behind 1 middleware layer",
  { group: "layers", baseline: true },
  async () => {
    await one.fetch(request);
  },
);
