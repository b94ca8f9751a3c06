/**
 * A crypto worker of the offload pool. It holds its own loaded copies of the keys it was
 * given (addressed by the pool's opaque handles), runs their methods on request and
 * answers with the result, transferring result buffers so no copy stays behind. `dispose`
 * and `close` wipe keys (the providers' `dispose()`). It does no I/O and needs no
 * permission beyond loading its modules.
 *
 * Security caveat: secrets produced here (shared secrets) are copied into a transferred
 * buffer and the provider's buffer is wiped; other intermediate copies inside the
 * libraries live until garbage collection, as on the main thread.
 */

import type { LoadedKey } from "../provider.ts";
import { providerFor } from "../providers/index.ts";
import { wipe } from "../zeroize.ts";
import {
  KEY_METHODS,
  type KeyMethod,
  toWire,
  type WorkerReply,
  type WorkerRequest,
} from "./protocol.ts";

/** The worker global scope, typed without pulling the `deno.worker` lib into the project. */
const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};

const keys = new Map<number, LoadedKey>();

/** Results that are secrets: wiped here once copied out. */
const SECRET_RESULTS: ReadonlySet<KeyMethod> = new Set(["decapsulate", "decrypt"]);

function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** A fresh exact-size copy of `bytes` (so the whole buffer can be transferred). */
function detached(bytes: Uint8Array, transfer: Transferable[]): Uint8Array {
  const out = bytes.slice();
  transfer.push(out.buffer);
  return out;
}

function keyFor(handle: number): LoadedKey {
  const key = keys.get(handle);
  if (key === undefined) throw new TypeError("Key has been disposed");
  return key;
}

async function run(method: KeyMethod, key: LoadedKey, args: readonly unknown[]) {
  const fn = key[method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (fn === undefined) throw new TypeError(`Key has no method ${method}`);
  const transfer: Transferable[] = [];
  const value = await fn.apply(key, [...args]);
  if (value instanceof Uint8Array) {
    const out = detached(value, transfer);
    if (SECRET_RESULTS.has(method)) wipe(value);
    return { value: out, transfer };
  }
  if (method === "encapsulate" && typeof value === "object" && value !== null) {
    const { ciphertext, sharedSecret } = value as {
      ciphertext: Uint8Array;
      sharedSecret: Uint8Array;
    };
    const out = {
      ciphertext: detached(ciphertext, transfer),
      sharedSecret: detached(sharedSecret, transfer),
    };
    wipe(sharedSecret);
    return { value: out, transfer };
  }
  return { value, transfer };
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.kind) {
    case "load": {
      const { algorithm, material } = request;
      const key = await providerFor(algorithm).load(algorithm, material);
      keys.get(request.handle)?.dispose();
      keys.set(request.handle, key);
      const methods = KEY_METHODS.filter((m) => typeof key[m] === "function");
      const publicKey = key.publicKey?.();
      reply({ id: request.id, ok: true, value: { methods, publicKey } });
      return;
    }
    case "generate": {
      // Fresh material for the main thread to seal: copied into a transferred buffer and
      // wiped here, so no copy stays in the worker.
      const material = await providerFor(request.algorithm).generate(request.algorithm);
      const transfer: Transferable[] = [];
      const out = detached(material, transfer);
      wipe(material);
      reply({ id: request.id, ok: true, value: out }, transfer);
      return;
    }
    case "call": {
      const { value, transfer } = await run(request.method, keyFor(request.handle), request.args);
      reply({ id: request.id, ok: true, value }, transfer);
      return;
    }
    case "dispose": {
      keys.get(request.handle)?.dispose();
      keys.delete(request.handle);
      reply({ id: request.id, ok: true, value: keys.size });
      return;
    }
    case "count": {
      reply({ id: request.id, ok: true, value: keys.size });
      return;
    }
    case "close": {
      for (const key of keys.values()) key.dispose();
      keys.clear();
      reply({ id: request.id, ok: true, value: 0 });
      return;
    }
    default:
      throw new TypeError("Unknown request");
  }
}

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).catch((err: unknown) => {
    if (request.kind === "load") wipe(request.material);
    reply({ id: request.id, ok: false, error: toWire(err) });
  });
};
