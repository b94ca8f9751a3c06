/**
 * The machine references of bench/http.ts, in one process with no middleware, no
 * authentication, no audit and no stores:
 *
 * - `GET /`: a bare Hono GET on `Deno.serve`, the figure the issue quotes as ≈ 88 k
 *   req/s under `wrk -t2 -c32` on the project's 2-core machines;
 * - `POST /floor/aes`, `/floor/hmac`, `/floor/ec-sign`: the floor of the fixed stack for
 *   a cryptographic request: Hono parses the same JSON body a real request carries,
 *   decodes the base64, runs the one Web Crypto call under a non-extractable key made at
 *   start-up and answers base64 in JSON. Nothing a product request needs beyond that
 *   (authentication, RBAC, limits, metrics, security headers, the audit entry) is done,
 *   so no server built on Hono and Web Crypto can answer these requests for less CPU;
 * - `POST /floor/create`: the floor of creating an EC-P256 key: parse the JSON body,
 *   generate the pair and export its PKCS#8 (as the product must, to seal it), encrypt
 *   that under an AES-GCM key and answer the public key; no MAC, no storage, no audit.
 *   The SPKI export of the answer is one Web Crypto call the product does not make when
 *   it creates a key, so this floor sits slightly above the true one.
 *
 * Prints `listening on URL`.
 *
 *   deno run --allow-net=127.0.0.1 bench/_bare_server.ts
 */

import { Hono } from "hono";
import { printLine } from "../src/util/logger.ts";

const aesKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
  "encrypt",
]);
const hmacKey = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
  "sign",
]);
const ecKey = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
  "sign",
]);

/** The base64 field `name` of the JSON body. */
async function field(req: Request, name: string): Promise<Uint8Array<ArrayBuffer>> {
  const body = await req.json() as Record<string, unknown>;
  const text = body[name];
  if (typeof text !== "string") throw new TypeError(`missing ${name}`);
  return Uint8Array.fromBase64(text);
}

const app = new Hono();
app.get("/", (c) => c.json({ status: "ok" }));
app.post("/floor/aes", async (c) => {
  const plaintext = await field(c.req.raw, "plaintext");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, plaintext);
  return c.json({ ciphertext: new Uint8Array(ciphertext).toBase64(), iv: iv.toBase64() });
});
app.post("/floor/hmac", async (c) => {
  const message = await field(c.req.raw, "message");
  const mac = await crypto.subtle.sign("HMAC", hmacKey, message);
  return c.json({ mac: new Uint8Array(mac).toBase64() });
});
app.post("/floor/ec-sign", async (c) => {
  const message = await field(c.req.raw, "message");
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    ecKey.privateKey,
    message,
  );
  return c.json({ signature: new Uint8Array(signature).toBase64() });
});

app.post("/floor/create", async (c) => {
  const body = await c.req.json() as Record<string, unknown>;
  if (typeof body.name !== "string") throw new TypeError("missing name");
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
  ]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, pkcs8);
  pkcs8.fill(0);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  return c.json({ name: body.name, public_key: spki.toBase64() });
});

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ hostname, port }) => printLine(`listening on http://${hostname}:${port}`),
}, app.fetch);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
