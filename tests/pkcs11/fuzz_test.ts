/**
 * Fuzzing the RPC decoder and server with a seeded generator (reproducible): random
 * bodies, and golden client messages with flipped bits, truncations, extensions and
 * tampered length fields. The dispatcher may answer or refuse as malformed, never throw
 * anything else; over the socket a bad message costs only its own connection and the
 * server keeps serving.
 */

import assert from "node:assert/strict";
import { CKR } from "../../src/pkcs11/constants.ts";
import { RpcProtocolError } from "../../src/pkcs11/rpc_codec.ts";
import { decodeReply, RpcClient } from "../../src/pkcs11/rpc_client.ts";
import { callById } from "../../src/pkcs11/rpc_calls.ts";
import * as golden from "./_golden.ts";
import { Harness, hex } from "./_fake_backend.ts";
import { startTestSocket } from "./_socket.ts";

/** Mulberry32: a small seeded PRNG, so every run fuzzes the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = Object.values(golden).filter((v) =>
  v.startsWith("000000") && !v.startsWith("00000000")
)
  .map(hex);

/** One hostile body: random bytes, or a golden request mutated one to three times. */
function mutant(rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  if (rand() < 0.2) {
    const body = crypto.getRandomValues(new Uint8Array(int(64)));
    // Often give it a real call id and signature prefix so decoding goes deeper.
    if (body.length >= 4 && rand() < 0.5) new DataView(body.buffer).setUint32(0, 1 + int(65));
    return body;
  }
  let body = (SEEDS[int(SEEDS.length)] as Uint8Array).slice();
  for (let m = 1 + int(3); m > 0; m--) {
    const at = int(Math.max(1, body.length));
    switch (int(5)) {
      case 0:
        body[at] = (body[at] ?? 0) ^ (1 << int(8));
        break;
      case 1:
        body = body.slice(0, at);
        break;
      case 2:
        body = new Uint8Array([...body, ...crypto.getRandomValues(new Uint8Array(1 + int(16)))]);
        break;
      case 3: // a huge or NULL length/count where a u32 might be
        if (at + 4 <= body.length) {
          new DataView(body.buffer).setUint32(
            at,
            [0xffffffff, 0x7fffffff, 0x10000000][int(3)] as number,
          );
        }
        break;
      default:
        body[at] = int(256);
    }
  }
  return body;
}

Deno.test("the dispatcher answers or refuses 20 000 hostile bodies as malformed, nothing else", async () => {
  const rand = prng(0x5eed);
  const h = new Harness();
  await h.open();
  let answered = 0;
  for (let i = 0; i < 20_000; i++) {
    const body = mutant(rand);
    try {
      const reply = await h.dispatcher.handle(h.state, body);
      const call = callById(new DataView(body.buffer, body.byteOffset).getUint32(0));
      assert.ok(call !== undefined);
      decodeReply(call.name, reply); // every answer is a well-formed reply or error reply
      answered++;
    } catch (err) {
      if (!(err instanceof RpcProtocolError)) throw err;
    }
    if (!h.state.initialized || h.state.sessionCount === 0) {
      h.state.reset();
      await h.open(); // keep fuzzing a logged-in connection
    }
  }
  assert.ok(answered > 100, `only ${answered} bodies decoded: the mutations are too coarse`);
});

Deno.test("hostile frames over the socket close only their connection; the server keeps serving", async () => {
  const rand = prng(0xfa11);
  const t = await startTestSocket({ maxMessageBytes: 4096 });
  let closed = 0;
  try {
    let client = await RpcClient.connect(t.path);
    await client.initialize();
    for (let i = 0; i < 400; i++) {
      const reply = await client.send(mutant(rand));
      if (reply === undefined) {
        closed++;
        client.close();
        client = await RpcClient.connect(t.path);
        await client.initialize();
      }
    }
    client.close();
    const fresh = await RpcClient.connect(t.path);
    try {
      assert.equal((await fresh.initialize()).rv, CKR.OK);
      assert.equal((await fresh.call("C_GetSlotList", [1, 8])).rv, CKR.OK);
    } finally {
      fresh.close();
    }
  } finally {
    await t.close();
  }
  assert.ok(closed > 10, `only ${closed} connections were closed`);
  const unexpected = t.logs.filter((l) => l.level === "error");
  assert.deepEqual(unexpected, []);
});
