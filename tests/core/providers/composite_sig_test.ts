import assert from "node:assert/strict";
import { sha512 } from "@noble/hashes/sha2.js";
import { ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { decodeSequence, DER_TAG, encodeDer, readBitStringBytes } from "../../../src/core/asn1.ts";
import { concatBytes, fromHex, toHex, utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  compositePublicKey,
  compositeSigProvider,
  loadCompositeKey,
} from "../../../src/core/providers/composite_sig.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const SETS = [
  {
    alg: "ML-DSA-65-EC-P256",
    oid: "06082b0601050507062d",
    mlDsa: ml_dsa65,
    pk: 1952,
    sig: 3309,
    curveOid: "06082a8648ce3d030107",
    size: 32,
    label: "COMPSIG-MLDSA65-ECDSA-P256-SHA512",
  },
  {
    alg: "ML-DSA-87-EC-P384",
    oid: "06082b06010505070631",
    mlDsa: ml_dsa87,
    pk: 2592,
    sig: 4627,
    curveOid: "06052b81040022",
    size: 48,
    label: "COMPSIG-MLDSA87-ECDSA-P384-SHA512",
  },
] as const;

type SigningKey = KeyWith<"sign" | "verify" | "publicKey">;
const MESSAGE = utf8("pay 100 to bob");
const CONTEXT = utf8("invoice-2026");
const isInvalidRequest = (e: unknown) => isHsmError(e, "invalid_request");
const isUnreadable = (e: unknown) => isHsmError(e, "integrity_error");

async function freshKey(alg: (typeof SETS)[number]["alg"]): Promise<SigningKey> {
  const key = await compositeSigProvider.load(alg, await compositeSigProvider.generate(alg));
  return expectMethods(key, "sign", "verify", "publicKey");
}

function flip(data: Uint8Array, index: number): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] as number) ^ 0x01;
  return out;
}

for (const { alg, oid, mlDsa, pk, sig, curveOid, size, label } of SETS) {
  Deno.test(`${alg} material is mldsaSeed‖ECPrivateKey (named curve, no public key), wiped on load`, async () => {
    const material = await compositeSigProvider.generate(alg);
    const ec = decodeSequence(material.subarray(32));
    assert.ok(ec !== undefined);
    assert.equal(ec.length, 3, "version, privateKey, [0] parameters; no [1] publicKey");
    assert.equal(ec[1]?.contents.length, size);
    assert.equal(ec[2]?.tag, 0xa0);
    assert.equal(toHex(ec[2]?.contents ?? new Uint8Array()), curveOid);
    const key = await compositeSigProvider.load(alg, material);
    assert.ok(material.every((b) => b === 0), "load wipes its material");
    expectNoMethods(key, "encapsulate", "decapsulate", "encrypt", "mac");
  });

  Deno.test(`${alg} signs; both components must verify, with the same context and message`, async () => {
    const key = await freshKey(alg);
    const signature = await key.sign(MESSAGE, { context: CONTEXT });
    assert.ok(signature.length > sig + 8, "ML-DSA signature then a DER ECDSA signature");
    assert.equal(signature[sig], 0x30);
    assert.equal(await key.verify(MESSAGE, signature, { context: CONTEXT }), true);
    assert.equal(await key.verify(MESSAGE, signature), false, "empty context");
    assert.equal(await key.verify(utf8("pay 900 to bob"), signature, { context: CONTEXT }), false);
    const options = { context: CONTEXT };
    const other = await key.sign(utf8("another message"), options);
    const cases: [string, Uint8Array][] = [
      ["flipped ML-DSA part", flip(signature, 10)],
      ["flipped ECDSA part", flip(signature, signature.length - 1)],
      ["ML-DSA part alone", signature.subarray(0, sig)],
      ["truncated ECDSA part", signature.subarray(0, signature.length - 1)],
      [
        "ECDSA part of another message",
        concatBytes(signature.subarray(0, sig), other.subarray(sig)),
      ],
      [
        "ML-DSA part of another message",
        concatBytes(other.subarray(0, sig), signature.subarray(sig)),
      ],
      ["empty", new Uint8Array(0)],
    ];
    for (const [what, bad] of cases) {
      assert.equal(await key.verify(MESSAGE, bad, options), false, what);
    }
  });

  Deno.test(`${alg} signs M′ = Prefix‖Label‖len(ctx)‖ctx‖SHA-512(M) with ML-DSA ctx = Label`, async () => {
    const key = await freshKey(alg);
    const signature = await key.sign(MESSAGE, { context: CONTEXT });
    const raw = key.publicKey().raw ?? new Uint8Array();
    const mPrime = concatBytes(
      utf8("CompositeAlgorithmSignatures2025"),
      utf8(label),
      Uint8Array.of(CONTEXT.length),
      CONTEXT,
      sha512(MESSAGE),
    );
    const pqSig = signature.subarray(0, sig);
    assert.equal(mlDsa.verify(pqSig, mPrime, raw.subarray(0, pk), { context: utf8(label) }), true);
    // Non-separability: the ML-DSA half is no plain ML-DSA signature of the message.
    assert.equal(mlDsa.verify(pqSig, MESSAGE, raw.subarray(0, pk)), false);
    assert.equal(mlDsa.verify(pqSig, MESSAGE, raw.subarray(0, pk), { context: CONTEXT }), false);
  });

  Deno.test(`${alg} accepts SHA-512(M) as a prehashed digest and refuses HashML-DSA options`, async () => {
    const key = await freshKey(alg);
    const signature = await key.sign(sha512(MESSAGE), { prehashed: true });
    assert.equal(await key.verify(MESSAGE, signature), true);
    assert.equal(await key.verify(sha512(MESSAGE), signature, { prehashed: true }), true);
    await assert.rejects(key.sign(new Uint8Array(32), { prehashed: true }), isInvalidRequest);
    await assert.rejects(key.sign(MESSAGE, { prehash: "SHA-512" }), isInvalidRequest);
    await assert.rejects(key.verify(MESSAGE, signature, { prehash: "SHA-512" }), isInvalidRequest);
    await assert.rejects(key.sign(MESSAGE, { context: new Uint8Array(256) }), isInvalidRequest);
    assert.ok(await key.sign(MESSAGE, { context: new Uint8Array(255) }));
  });

  Deno.test(`${alg} publishes the composite key (raw, SPKI, AKP) and its two components`, async () => {
    const key = await freshKey(alg);
    const { spki, jwk, raw, components } = key.publicKey();
    assert.equal(raw?.length, pk + 1 + 2 * size);
    const parts = decodeSequence(spki);
    assert.equal(toHex(parts?.[0]?.contents ?? new Uint8Array()), oid, "OID, no parameters");
    assert.equal(
      toHex(readBitStringBytes(parts?.[1]) ?? new Uint8Array()),
      toHex(raw ?? new Uint8Array()),
    );
    assert.deepEqual(jwk, { kty: "AKP", alg, pub: jwk.pub });
    assert.deepEqual(components?.map((c) => c.algorithm), [
      alg.slice(0, 9),
      size === 32 ? "EC-P256" : "EC-P384",
    ]);
    assert.equal(
      toHex(components?.[0]?.raw ?? new Uint8Array()),
      toHex(raw?.subarray(0, pk) ?? new Uint8Array()),
    );
    assert.equal(
      toHex(components?.[1]?.raw ?? new Uint8Array()),
      toHex(raw?.subarray(pk) ?? new Uint8Array()),
    );
    assert.equal(components?.[1]?.jwk.kty, "EC");
  });

  Deno.test(`${alg} verifiers built from the raw public key agree with the key`, async () => {
    const key = await freshKey(alg);
    const signature = await key.sign(MESSAGE);
    const raw = key.publicKey().raw ?? new Uint8Array();
    const verifier = expectMethods(await compositePublicKey(alg, raw), "verify", "publicKey");
    expectNoMethods(verifier, "sign");
    assert.equal(await verifier.verify(MESSAGE, signature), true);
    assert.equal(toHex(verifier.publicKey().spki), toHex(key.publicKey().spki));
    await assert.rejects(compositePublicKey(alg, raw.subarray(1)), isInvalidRequest);
    await assert.rejects(compositePublicKey(alg, flip(raw, raw.length - 1)), isInvalidRequest);
  });

  Deno.test(`${alg} unreadable material is an integrity error and is wiped`, async () => {
    const good = await compositeSigProvider.generate(alg);
    /** ECPrivateKey { 1, scalar, [0] curve } for a curve OID given as full DER hex. */
    const ecKey = (scalar: Uint8Array, curveOidDer: string) =>
      encodeDer(
        DER_TAG.sequence,
        encodeDer(DER_TAG.integer, Uint8Array.of(1)),
        encodeDer(DER_TAG.octetString, scalar),
        encodeDer(0xa0, fromHex(curveOidDer) ?? new Uint8Array()),
      );
    const seed = good.subarray(0, 32);
    const bad: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["seed only", seed.slice()],
      ["truncated", good.subarray(0, good.length - 1)],
      ["zero scalar", concatBytes(seed, ecKey(new Uint8Array(size), curveOid))],
      ["scalar ≥ n", concatBytes(seed, ecKey(new Uint8Array(size).fill(0xff), curveOid))],
      ["other curve", concatBytes(seed, ecKey(new Uint8Array(size).fill(1), "06052b8104000a"))],
    ];
    for (const [what, material] of bad) {
      const copy = material.slice();
      await assert.rejects(loadCompositeKey(alg, copy), isUnreadable, what);
      assert.ok(copy.every((b) => b === 0), `${what}: wiped`);
    }
  });

  Deno.test(`${alg} keys refuse to work after dispose`, async () => {
    const key = await freshKey(alg);
    key.dispose();
    key.dispose();
    await assert.rejects(key.sign(MESSAGE), TypeError);
    await assert.rejects(key.verify(MESSAGE, new Uint8Array(sig + 70)), TypeError);
    assert.throws(() => key.publicKey(), TypeError);
  });
}

Deno.test("the composite provider offloads sign and verify; other families are programmer errors", async () => {
  for (const { alg } of SETS) {
    assert.deepEqual(compositeSigProvider.offload?.(alg)?.methods, ["sign", "verify"]);
  }
  await assert.rejects(compositeSigProvider.generate("ML-DSA-65"), RangeError);
  await assert.rejects(compositeSigProvider.load("EC-P256", new Uint8Array(100)), RangeError);
});
