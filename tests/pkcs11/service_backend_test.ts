/**
 * The service backend over real FerroHSM services (memory key and approval stores, file
 * audit log, a real keyset): PINs, token files, expiry, RBAC refusals, the audit actor
 * and the rate limit.
 */

import type { Actor } from "../../src/access/guard.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { JwtVerifier } from "../../src/auth/jwt.ts";
import { mintToken } from "../../src/auth/token_mint.ts";
import { parseServeConfig } from "../../src/config/config.ts";
import { HsmError } from "../../src/domain/errors.ts";
import { RateLimiter } from "../../src/http/rate_limiter.ts";
import { CKR } from "../../src/pkcs11/constants.ts";
import { ServiceBackend } from "../../src/pkcs11/service_backend.ts";
import { Pkcs11Error, type TokenCredential } from "../../src/pkcs11/token_backend.ts";
import { buildServices, type Services } from "../../src/server/services.ts";
import { loadServerConfig } from "../../src/config/config_files.ts";
import type { Logger } from "../../src/util/logger.ts";
import { type Installation, makeInstallation } from "../../testing/installation.ts";

const quiet: Logger = { log: () => {} };
const enc = new TextEncoder();

interface World {
  readonly inst: Installation;
  readonly services: Services;
  readonly tokenDir: string;
  now: number;
  backend(options?: { limiter?: RateLimiter }): ServiceBackend;
  token(sub: string, roles: string[], ttl?: number): Promise<string>;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const inst = await makeInstallation();
  const config = await loadServerConfig(parseServeConfig(inst.flags([
    "--key-store",
    "memory",
    "--approval-store",
    "memory",
    "--audit-store",
    "file",
  ]))); // deno-fmt-ignore
  const services = await buildServices(config, quiet);
  const tokenDir = join(inst.dir, "tokens");
  await Deno.mkdir(tokenDir, { mode: 0o700 });
  const world: World = {
    inst,
    services,
    tokenDir,
    now: Date.now(),
    backend(options = {}) {
      const clock = () => world.now;
      return new ServiceBackend({
        keys: services.keys,
        crypto: services.crypto,
        verifier: new JwtVerifier(services.keyring, { clock }),
        tokenDir,
        clock,
        log: quiet,
        ...options,
      });
    },
    token: (sub, roles, ttl = 300) =>
      mintToken(inst.keysetFile, {
        sub,
        roles: roles as never,
        ttl,
        kid: "hs",
        clock: () => world.now,
      }),
  };
  try {
    await fn(world);
  } finally {
    await services.close();
    await inst.cleanup();
  }
}

async function rvOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Pkcs11Error) return err.rv;
    throw err;
  }
  return CKR.OK;
}

Deno.test("a JWT PIN acts as its subject: keys listed, signatures verify, audit says pkcs11", async () => {
  await withWorld(async (w) => {
    const admin: Actor = { id: "alice", roles: ["Administrator"] };
    const { key } = await w.services.keys.create(admin, { name: "k", algorithm: "EC-P256" });
    const backend = w.backend();
    const cred = await backend.login(enc.encode(await w.token("alice", ["Administrator"])));
    assert.equal(cred.subject, "alice");
    assert.deepEqual((await backend.listKeys(cred)).map((k) => k.name), ["k"]);
    const digest = new Uint8Array(32).fill(1);
    const input = {
      kind: "signature",
      data: digest,
      prehashed: true,
      hash: "SHA-256",
      format: "raw",
    } as const;
    const sig = await backend.sign(cred, key.id, input);
    assert.equal(sig.length, 64);
    assert.equal(await backend.verify(cred, key.id, input, sig), true);
    const pub = await backend.publicKey(cred, { ...key, state: "active" });
    assert.equal(pub.ecPoint?.length, 65);
    const actors = await auditActors(w);
    assert.ok(actors.includes("pkcs11:alice key.sign ok"), actors.join("\n"));
    assert.ok(actors.includes("pkcs11:alice key.list ok"));
  });
}); // deno-fmt-ignore

/** "actor action result" of every audit entry. */
async function auditActors(w: World): Promise<string[]> {
  const entries = await w.services.audit.list({ id: "auditor", roles: ["Auditor"] }, 0, 1000);
  return entries.map((e) => `${e.actor} ${e.action} ${e.result}`);
}

Deno.test("wrong, certificate-bound and already-expired PINs are incorrect", async () => {
  await withWorld(async (w) => {
    const backend = w.backend();
    assert.equal(await rvOf(backend.login(enc.encode("123456"))), CKR.PIN_INCORRECT);
    const bound = await mintToken(w.inst.keysetFile, {
      sub: "alice",
      roles: ["Administrator"],
      kid: "hs",
      cnfX5tS256: "A".repeat(43),
    });
    assert.equal(await rvOf(backend.login(enc.encode(bound))), CKR.PIN_INCORRECT);
    const short = await w.token("alice", ["Administrator"], 10);
    w.now += 15_000; // past exp, within the verifier's 30 s clock-skew tolerance
    assert.equal(await rvOf(backend.login(enc.encode(short))), CKR.PIN_INCORRECT);
  });
}); // deno-fmt-ignore

Deno.test("a session ends when its JWT expires", async () => {
  await withWorld(async (w) => {
    const backend = w.backend();
    const cred = await backend.login(enc.encode(await w.token("alice", ["Administrator"], 60)));
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.OK);
    w.now += 61_000;
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.USER_NOT_LOGGED_IN);
  });
});

Deno.test("a token file keeps a service logged in while an operator job refreshes it", async () => {
  await withWorld(async (w) => {
    const backend = w.backend();
    const file = join(w.tokenDir, "svc.jwt");
    await Deno.writeTextFile(file, (await w.token("svc", ["Service"], 120)) + "\n", {
      mode: 0o600,
    });
    const cred: TokenCredential = await backend.login(enc.encode("file:svc.jwt"));
    assert.equal(cred.renewable, true);
    w.now += 100_000; // the job rotates the file before the first token expires
    await Deno.writeTextFile(file, await w.token("svc", ["Service"], 120));
    w.now += 100_000; // the first token has expired; the refreshed one is read
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.OK);
    w.now += 200_000; // the job stopped: no valid token any more
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.USER_NOT_LOGGED_IN);
    await Deno.writeTextFile(file, await w.token("mallory", ["Administrator"], 120));
    assert.equal(
      await rvOf(backend.listKeys(cred)),
      CKR.USER_NOT_LOGGED_IN,
      "a file may not switch subjects",
    );
    await Deno.writeTextFile(file, await w.token("svc", ["Service"], 120));
    assert.equal(
      await rvOf(backend.listKeys(cred)),
      CKR.OK,
      "the session resumes once the job runs again",
    );
    const absolute = await backend.login(enc.encode(`file:${file}`));
    assert.equal(absolute.subject, "svc");
  });
}); // deno-fmt-ignore

Deno.test("token files outside the directory, exposed to others or not regular are refused", async () => {
  await withWorld(async (w) => {
    const backend = w.backend();
    const token = await w.token("svc", ["Service"]);
    const outside = join(w.inst.dir, "outside.jwt");
    await Deno.writeTextFile(outside, token, { mode: 0o600 });
    await Deno.symlink(outside, join(w.tokenDir, "link.jwt"));
    await Deno.writeTextFile(join(w.tokenDir, "open.jwt"), token, { mode: 0o644 });
    await Deno.chmod(join(w.tokenDir, "open.jwt"), 0o644);
    await Deno.mkdir(join(w.tokenDir, "dir.jwt"));
    for (const pin of [
      `file:${outside}`, "file:link.jwt", "file:open.jwt", "file:dir.jwt", "file:missing.jwt",
      "file:../outside.jwt", `file:${w.tokenDir}/../outside.jwt`, "file:",
    ]) {
      assert.equal(await rvOf(backend.login(enc.encode(pin))), CKR.PIN_INCORRECT, pin);
    }
    const noDir = new ServiceBackend({ keys: w.services.keys, crypto: w.services.crypto, verifier: w.services.verifier });
    assert.equal(await rvOf(noDir.login(enc.encode("file:svc.jwt"))), CKR.PIN_INCORRECT);
  });
}); // deno-fmt-ignore

Deno.test("a Service token cannot create keys: refused with CKR_FUNCTION_FAILED and audited", async () => {
  await withWorld(async (w) => {
    const backend = w.backend();
    const cred = await backend.login(enc.encode(await w.token("svc", ["Service"])));
    const made = backend.createKey(cred, { name: "x", algorithm: "EC-P256", usage: ["sign", "verify"] });
    assert.equal(await rvOf(made), CKR.FUNCTION_FAILED);
    assert.ok((await auditActors(w)).includes("pkcs11:svc key.create forbidden"));
  });
});

Deno.test("a destruction request is the person's own, so they cannot approve it from the API", async () => {
  await withWorld(async (w) => {
    const alice: Actor = { id: "alice", roles: ["Administrator"] };
    const { key } = await w.services.keys.create(alice, { name: "k", algorithm: "EC-P256" });
    const backend = w.backend();
    const cred = await backend.login(enc.encode(await w.token("alice", ["Administrator"])));
    const approvalId = await backend.requestDestroy(cred, key.id);
    const approval = await w.services.approvals.get(alice, approvalId);
    assert.equal(approval.requestedBy, "alice");
    await assert.rejects(
      () => w.services.approvals.approve(alice, approvalId),
      (err: unknown) => err instanceof HsmError && err.code === "forbidden",
    );
    await w.services.approvals.approve({ id: "bob", roles: ["Administrator"] }, approvalId);
    assert.equal(
      await rvOf(backend.publicKey(cred, { ...key, state: "active" })),
      CKR.OBJECT_HANDLE_INVALID,
    );
  });
}); // deno-fmt-ignore

Deno.test("PKCS#11 calls share the actor's rate limit", async () => {
  await withWorld(async (w) => {
    const limiter = new RateLimiter({ defaultRps: 1, defaultBurst: 2, clock: () => w.now });
    const backend = w.backend({ limiter });
    const cred = await backend.login(enc.encode(await w.token("alice", ["Administrator"])));
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.OK);
    assert.equal(limiter.take("sub:alice").allowed, true, "the API's bucket is the same one");
    assert.equal(await rvOf(backend.listKeys(cred)), CKR.FUNCTION_FAILED);
  });
});
