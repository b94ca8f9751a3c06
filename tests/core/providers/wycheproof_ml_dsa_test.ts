/**
 * Wycheproof ML-DSA-65 vectors (`mldsa_65_*`, see the shared vectors' SOURCES.md), run
 * through FerroHSM's ML-DSA API: seeds through `loadMlDsaKey` (the provider's loader),
 * expanded keys through `importMlDsaSecretKey`, public keys through `mlDsaPublicKey`.
 * Deterministic cases inject an all-zero rnd, randomized ones the published rnd.
 *
 * Cases flagged `Internal` give only μ (no message) for ML-DSA.Sign_internal, which
 * FerroHSM does not expose; they run `ml_dsa65.internal.sign` of `@noble/post-quantum`
 * (the library the provider wraps) with `externalMu` and are counted apart.
 * An invalid case counts as rejected when signing throws `HsmError`, or when verification
 * returns false or the verifier refuses to be built (`HsmError`).
 */

import assert from "node:assert/strict";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import { HsmError } from "../../../src/domain/errors.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import {
  importMlDsaSecretKey,
  loadMlDsaKey,
  type MlDsaKeyOptions,
  mlDsaPublicKey,
} from "../../../src/core/providers/ml_dsa.ts";
import { hex, loadVectors, vectorTest } from "../../_vectors.ts";

const DIR = "wycheproof/testvectors_v1";
const ALG = "ML-DSA-65";

interface Case {
  tcId: number;
  comment: string;
  msg?: string;
  ctx?: string;
  rnd?: string;
  mu?: string;
  sig: string;
  result: "valid" | "invalid" | "acceptable";
  flags: string[];
}
interface Group {
  privateSeed?: string;
  privateKey?: string;
  publicKey?: string;
  publicKeyDer?: string;
  tests: Case[];
}
interface WycheproofFile {
  algorithm: string;
  testGroups: Group[];
}

interface Counts {
  valid: number;
  invalid: number;
  internal: number;
}

function load(file: string): WycheproofFile {
  const data = loadVectors<WycheproofFile>(`${DIR}/${file}`);
  assert.equal(data.algorithm, ALG);
  return data;
}

function field(value: string | undefined): Uint8Array {
  assert.ok(value !== undefined, "vector field missing");
  return hex(value);
}

function publicHex(key: LoadedKey): string {
  assert.ok(key.publicKey);
  const raw = fromBase64Url(String(key.publicKey().jwk.pub));
  assert.ok(raw);
  return toHex(raw);
}

function options(tc: Case): MlDsaKeyOptions {
  const rnd = tc.rnd === undefined ? new Uint8Array(32) : hex(tc.rnd);
  return {
    random: (buf) => buf.set(rnd),
    ...(tc.ctx === undefined ? {} : { context: hex(tc.ctx) }),
  };
}

async function sign(key: LoadedKey, msg: Uint8Array): Promise<Uint8Array> {
  assert.ok(key.sign);
  return await key.sign(msg);
}

async function verify(key: LoadedKey, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
  assert.ok(key.verify);
  return await key.verify(msg, sig);
}

/** Signs every case of a sign file; `open` builds our key for a group and a case. */
async function runSignFile(
  file: string,
  secretOf: (g: Group) => Uint8Array,
  open: (secret: Uint8Array, opts: MlDsaKeyOptions) => LoadedKey,
): Promise<Counts> {
  const counts: Counts = { valid: 0, invalid: 0, internal: 0 };
  for (const group of load(file).testGroups) {
    for (const tc of group.tests) {
      const where = `tcId ${tc.tcId} (${tc.comment})`;
      if (tc.msg === undefined) {
        // Sign_internal on μ: library check, see the module comment.
        assert.equal(tc.result, "valid", where);
        const sk = file.includes("noseed")
          ? secretOf(group)
          : ml_dsa65.keygen(secretOf(group)).secretKey;
        const sig = ml_dsa65.internal.sign(field(tc.mu), sk, {
          externalMu: true,
          extraEntropy: tc.rnd === undefined ? false : hex(tc.rnd),
        });
        assert.equal(toHex(sig), tc.sig.toLowerCase(), where);
        counts.internal++;
        continue;
      }
      const msg = hex(tc.msg);
      if (tc.result === "valid") {
        const key = open(secretOf(group), options(tc));
        const sig = await sign(key, msg);
        assert.equal(toHex(sig), tc.sig.toLowerCase(), where);
        if (group.publicKey !== undefined) {
          assert.equal(publicHex(key), toHex(hex(group.publicKey)));
        }
        assert.equal(await verify(key, msg, sig), true, where);
        key.dispose();
        counts.valid++;
      } else {
        await assert.rejects(
          async () => await sign(open(secretOf(group), options(tc)), msg),
          (err: unknown) => err instanceof HsmError,
          `${where} was accepted`,
        );
        counts.invalid++;
      }
    }
  }
  return counts;
}

vectorTest(
  "Wycheproof ML-DSA-65 signing from seeds gives the published signatures",
  `${DIR}/mldsa_65_sign_seed_test.json`,
  async () => {
    const counts = await runSignFile(
      "mldsa_65_sign_seed_test.json",
      (g) => field(g.privateSeed),
      (seed, opts) => loadMlDsaKey(ALG, seed, opts),
    );
    assert.deepEqual(counts, { valid: 84, invalid: 4, internal: 17 });
  },
);

vectorTest(
  "Wycheproof ML-DSA-65 signing with expanded keys gives the published signatures",
  `${DIR}/mldsa_65_sign_noseed_test.json`,
  async () => {
    const counts = await runSignFile(
      "mldsa_65_sign_noseed_test.json",
      (g) => field(g.privateKey),
      (sk, opts) => importMlDsaSecretKey(ALG, sk, opts),
    );
    assert.deepEqual(counts, { valid: 63, invalid: 5, internal: 10 });
  },
);

vectorTest(
  "Wycheproof ML-DSA-65 verification accepts exactly the valid signatures",
  `${DIR}/mldsa_65_verify_test.json`,
  async () => {
    const counts: Counts = { valid: 0, invalid: 0, internal: 0 };
    for (const group of load("mldsa_65_verify_test.json").testGroups) {
      for (const tc of group.tests) {
        const where = `tcId ${tc.tcId} (${tc.comment})`;
        let key: LoadedKey | undefined;
        try {
          key = mlDsaPublicKey(ALG, field(group.publicKey), {
            ...(tc.ctx === undefined ? {} : { context: hex(tc.ctx) }),
          });
        } catch (err) {
          assert.ok(err instanceof HsmError, where);
          assert.equal(tc.result, "invalid", `${where} was refused`);
          counts.invalid++;
          continue;
        }
        assert.ok(key.publicKey);
        assert.equal(toHex(key.publicKey().spki), toHex(field(group.publicKeyDer)), where);
        const ok = await verify(key, field(tc.msg), hex(tc.sig));
        assert.equal(ok, tc.result === "valid", where);
        if (ok) counts.valid++;
        else counts.invalid++;
      }
    }
    assert.deepEqual(counts, { valid: 79, invalid: 131, internal: 0 });
  },
);
