/**
 * sign-jwt with an independent verifier: PyJWT (Debian `python3-jwt`, run with Debian's
 * `/usr/bin/python3`; PyPI is not reachable) builds a `PyJWKSet` from the key's
 * `/jwks`, picks the key by the token's `kid` and verifies ES256, ES384, EdDSA, RS256
 * and PS256 tokens (audience checked); a token with a flipped signature byte is refused.
 * `jose` verifies the same tokens in tests/routes/jwks_test.ts. Ignored without PyJWT.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "../routes/_app.ts";

const PYTHON = ["/usr/bin/python3", "python3"];

async function findPython(): Promise<string | undefined> {
  for (const cmd of PYTHON) {
    const ok = await new Deno.Command(cmd, {
      args: ["-c", "import jwt, cryptography; jwt.PyJWKSet"],
      stdout: "null",
      stderr: "null",
    }).output().then((o) => o.success, () => false);
    if (ok) return cmd;
  }
  return undefined;
}

const python = await findPython();

const VERIFY = `
import json, sys, jwt
req = json.load(sys.stdin)
keys = jwt.PyJWKSet.from_dict(req["jwks"])
out = []
for item in req["tokens"]:
    kid = jwt.get_unverified_header(item["jwt"])["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    try:
        claims = jwt.decode(item["jwt"], key.key, algorithms=[item["alg"]], audience="shop")
        out.append({"ok": True, "claims": claims})
    except jwt.InvalidTokenError as e:
        out.append({"ok": False, "error": type(e).__name__})
print(json.dumps(out))
`;

async function pyjwt(request: unknown): Promise<{ ok: boolean; claims?: unknown }[]> {
  const child = new Deno.Command(python as string, {
    args: ["-c", VERIFY],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(request)));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function flipSignature(jwt: string): string {
  const last = jwt.at(-2) === "A" ? "B" : "A";
  return `${jwt.slice(0, -2)}${last}${jwt.slice(-1)}`;
}

Deno.test({
  name: "PyJWT verifies sign-jwt tokens against the key's JWKS",
  ignore: python === undefined,
  async fn() {
    const t = await makeTestApp(["--key-store", "memory"]);
    try {
      const admin = await t.inst.token("alice", ["Administrator"]);
      const claims = { sub: "alice", aud: "shop", exp: 4_000_000_000, roles: ["buyer"] };
      const cases: [string, string | undefined, string][] = [
        ["EC-P256", undefined, "ES256"],
        ["EC-P384", undefined, "ES384"],
        ["Ed25519", undefined, "EdDSA"],
        ["RSA-2048", undefined, "RS256"],
        ["RSA-2048", "PS256", "PS256"],
      ];
      const ids = new Map<string, string>();
      for (const [algorithm, requested, alg] of cases) {
        let id = ids.get(algorithm);
        if (id === undefined) {
          const created = await t.call(admin, "POST", "/api/v1/keys", {
            name: algorithm,
            algorithm,
          });
          id = created.body.id as string;
          ids.set(algorithm, id);
          // A rotation, so the JWKS has two keys and the kid must pick the right one.
          await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, { claims });
          await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
        }
        const signed = await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, {
          claims,
          ...(requested === undefined ? {} : { alg: requested }),
        });
        assert.equal(signed.status, 200);
        const jwks = (await t.call(admin, "GET", `/api/v1/keys/${id}/jwks`)).body;
        assert.equal(jwks.keys.length, 2);
        const [good, bad] = await pyjwt({
          jwks,
          tokens: [{ jwt: signed.body.jwt, alg }, { jwt: flipSignature(signed.body.jwt), alg }],
        });
        assert.deepEqual(good, { ok: true, claims }, `${algorithm} ${alg}`);
        assert.equal(bad?.ok, false, `${algorithm} ${alg} tampered`);
      }
    } finally {
      await t.close();
    }
  },
});
