/**
 * The CLI's HTTP client: contract error bodies become ApiError(code, message), other
 * answers `http_<status>`; bad addresses and missing tokens are usage errors.
 */

import assert from "node:assert/strict";
import { ApiClient, errorFrom, keyPath } from "../../src/cli/api_client.ts";
import { UsageError } from "../../src/cli/errors.ts";

Deno.test("a contract error body keeps its code and message; anything else is http_<status>", () => {
  const body = JSON.stringify({ error: { code: "forbidden", message: "Cannot perform key:read" } });
  const e = errorFrom(new Response(null, { status: 403 }), body);
  assert.equal(e.code, "forbidden");
  assert.equal(e.message, "Cannot perform key:read");
  assert.equal(e.status, 403);
  const proxy = errorFrom(new Response(null, { status: 502, statusText: "Bad Gateway" }), "<html>");
  assert.equal(proxy.code, "http_502");
  assert.equal(proxy.message, "Bad Gateway");
});

Deno.test("an address that is not an http(s) URL and a call without a token are usage errors", async () => {
  assert.throws(() => new ApiClient({ addr: "127.0.0.1:8443" }), UsageError);
  assert.throws(() => new ApiClient({ addr: "ftp://host" }), UsageError);
  const api = new ApiClient({ addr: "http://127.0.0.1:9/" });
  assert.equal(api.addr, "http://127.0.0.1:9");
  await assert.rejects(api.call("GET", "/api/v1/keys"), UsageError);
});

Deno.test("key ids are escaped in paths", () => {
  assert.equal(keyPath("a/../b", "/sign"), "/api/v1/keys/a%2F..%2Fb/sign");
});
