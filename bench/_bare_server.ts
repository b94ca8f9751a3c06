/**
 * The machine reference of bench/http.ts: a bare Hono GET on `Deno.serve` (no
 * middleware, no stores), the figure the issue quotes as ≈ 88 k req/s under
 * `wrk -t2 -c32` on the project's 2-core machines. Prints `listening on URL`.
 *
 *   deno run --allow-net=127.0.0.1 bench/_bare_server.ts
 */

import { Hono } from "hono";
import { printLine } from "../src/util/logger.ts";

const app = new Hono();
app.get("/", (c) => c.json({ status: "ok" }));
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ hostname, port }) => printLine(`listening on http://${hostname}:${port}`),
}, app.fetch);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
