/**
 * A small pool of Deno Workers that run CPU-heavy synchronous crypto off the main thread.
 * A key is loaded into every live worker (each holds its own unsealed copy; the material
 * is transferred, never copied, and the caller's buffer is wiped), addressed by an opaque
 * handle; each call goes to the replica with the fewest calls in flight. `dispose` tells
 * every worker to wipe the key; `close` wipes all keys and stops the workers.
 *
 * Security caveats: a key offloaded to a pool of N workers exists N times in memory (one
 * per isolate) besides any main-thread copy. Workers inherit the process permissions
 * unless `restrictPermissions` is set, which needs `--unstable-worker-options` (without
 * that flag Deno exits on the option). A worker that dies takes its replicas with it; a key
 * with no live replica answers `unavailable`.
 */

import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import { wipe } from "../zeroize.ts";
import {
  fromWire,
  type KeyMethod,
  type LoadReply,
  type WorkerReply,
  type WorkerRequest,
} from "./protocol.ts";

/** Where the worker module is: beside this file from source, beside the bundle in a release. */
export const OFFLOAD_WORKER_URL: URL = new URL(
  import.meta.url.endsWith("/src/core/offload/pool.ts") ? "./worker.ts" : "./offload_worker.js",
  import.meta.url,
);

/** Options of `createOffloadPool`. */
export interface OffloadPoolOptions {
  /** Number of workers; default the number of CPU cores (`navigator.hardwareConcurrency`), min 1. */
  readonly size?: number;
  /** Start workers with `permissions: "none"` (requires `--unstable-worker-options`). */
  readonly restrictPermissions?: boolean;
  /** The worker module; default `./worker.ts` (tests substitute one that fails on cue). */
  readonly workerUrl?: URL;
}

/** Pool figures for health and metrics. */
export interface OffloadPoolStats {
  readonly size: number;
  readonly alive: number;
  /** Keys currently loaded (each on every live worker). */
  readonly keys: number;
  readonly inFlight: number;
  /** Requests answered since start (loads, calls and failures). */
  readonly completed: number;
  /** Requests answered by each worker, in pool order. */
  readonly completedPerWorker: readonly number[];
}

/** A key loaded in the pool: its methods, its public half and a way to call it. */
export interface RemoteKey {
  readonly methods: ReadonlySet<KeyMethod>;
  readonly publicKey: unknown;
  call(method: KeyMethod, args: readonly unknown[]): Promise<unknown>;
  dispose(): void;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** One worker and the requests it has not answered yet. */
class Slot {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  alive = true;
  completed = 0;

  constructor(worker: Worker) {
    this.worker = worker;
  }
}

/** The worker pool; create it with `createOffloadPool`. */
export class OffloadPool {
  readonly size: number;
  readonly #slots: Slot[];
  readonly #handles = new Map<number, Slot[]>();
  #nextId = 1;
  #nextHandle = 1;
  #completed = 0;
  #closed = false;

  /** Starts `options.size` workers. */
  constructor(options: OffloadPoolOptions = {}) {
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    const size = Math.max(1, Math.floor(options.size ?? cores));
    if (!Number.isFinite(size)) throw new RangeError("Pool size must be a finite number");
    this.size = size;
    const url = options.workerUrl ?? OFFLOAD_WORKER_URL;
    const workerOptions = options.restrictPermissions === true
      ? { type: "module", deno: { permissions: "none" } }
      : { type: "module" };
    this.#slots = Array.from({ length: size }, () => {
      const slot = new Slot(new Worker(url, workerOptions as WorkerOptions));
      slot.worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#answer(slot, event.data);
      slot.worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#fail(slot);
      };
      return slot;
    });
  }

  /**
   * Loads `material` into every live worker and wipes the caller's buffer.
   * @throws HsmError from the provider (`integrity_error` for unreadable material), or
   * `unavailable` when the pool is closed or has no live worker
   */
  async load(algorithm: Algorithm, material: Uint8Array): Promise<RemoteKey> {
    const slots = this.#live();
    const handle = this.#nextHandle++;
    const loads: Promise<unknown>[] = [];
    try {
      for (const slot of slots) {
        const copy = material.slice();
        loads.push(this.#send(slot, { kind: "load", id: 0, handle, algorithm, material: copy }, [
          copy.buffer,
        ]));
      }
    } finally {
      wipe(material);
    }
    const results = await Promise.allSettled(loads);
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      for (const slot of slots) this.#post(slot, { kind: "dispose", id: 0, handle });
      throw (failed as PromiseRejectedResult).reason;
    }
    const first = (results[0] as PromiseFulfilledResult<LoadReply>).value;
    this.#handles.set(handle, slots);
    return {
      methods: new Set(first.methods),
      publicKey: first.publicKey,
      call: (method, args) => this.#call(handle, method, args),
      dispose: () => this.#dispose(handle),
    };
  }

  /**
   * Generates fresh key material for `algorithm` in the least busy worker (key generation
   * blocks the calling thread: Web Crypto EC and the noble post-quantum families) and
   * transfers it back; the caller seals and wipes it.
   * @throws HsmError("unavailable") when the pool is closed or has no live worker
   */
  async generate(algorithm: Algorithm): Promise<Uint8Array> {
    const slots = this.#live();
    const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const material = await this.#send(slot, { kind: "generate", id: 0, algorithm });
    if (!(material instanceof Uint8Array)) {
      throw new HsmError("internal", "Cannot generate key: the crypto worker answered nothing");
    }
    return material;
  }

  /** Current pool figures. */
  stats(): OffloadPoolStats {
    const alive = this.#slots.filter((s) => s.alive);
    return {
      size: this.size,
      alive: alive.length,
      keys: this.#handles.size,
      inFlight: alive.reduce((n, s) => n + s.pending.size, 0),
      completed: this.#completed,
      completedPerWorker: this.#slots.map((s) => s.completed),
    };
  }

  /** How many keys each live worker holds (what `dispose` and `close` must bring to 0). */
  async heldKeys(): Promise<number[]> {
    const live = this.#closed ? [] : this.#slots.filter((s) => s.alive);
    return (await Promise.all(
      live.map((slot) => this.#send(slot, { kind: "count", id: 0 })),
    )) as number[];
  }

  /** Wipes every key in every worker and stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const live = this.#slots.filter((s) => s.alive);
    await Promise.allSettled(live.map((slot) => this.#send(slot, { kind: "close", id: 0 })));
    for (const slot of this.#slots) this.#stop(slot, "Crypto worker pool is closed");
    this.#handles.clear();
  }

  /** `await using pool = createOffloadPool()` closes the pool. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call(handle: number, method: KeyMethod, args: readonly unknown[]): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(
        new HsmError("unavailable", "Cannot use key: the crypto worker pool is closed"),
      );
    }
    const slots = this.#handles.get(handle)?.filter((s) => s.alive);
    if (slots === undefined) return Promise.reject(new TypeError("Key has been disposed"));
    if (slots.length === 0) {
      return Promise.reject(
        new HsmError("unavailable", "Cannot use key: no crypto worker holds it"),
      );
    }
    const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return this.#send(slot, { kind: "call", id: 0, handle, method, args });
  }

  #dispose(handle: number): void {
    const slots = this.#handles.get(handle);
    this.#handles.delete(handle);
    for (const slot of slots ?? []) this.#post(slot, { kind: "dispose", id: 0, handle });
  }

  #live(): Slot[] {
    const slots = this.#closed ? [] : this.#slots.filter((s) => s.alive);
    if (slots.length === 0) {
      throw new HsmError("unavailable", "Cannot load key: the crypto worker pool is not running");
    }
    return slots;
  }

  /** Sends a request and resolves with the worker's answer. */
  #send(slot: Slot, request: WorkerRequest, transfer: Transferable[] = []): Promise<unknown> {
    if (!slot.alive) {
      return Promise.reject(
        new HsmError("unavailable", "Cannot use key: its crypto worker stopped"),
      );
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Sends a request whose answer nobody waits for (dispose). */
  #post(slot: Slot, request: WorkerRequest): void {
    this.#send(slot, request).catch(() => {});
  }

  #answer(slot: Slot, reply: WorkerReply): void {
    const pending = slot.pending.get(reply.id);
    if (pending === undefined) return;
    slot.pending.delete(reply.id);
    slot.completed++;
    this.#completed++;
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(fromWire(reply.error));
  }

  /** A worker crashed: its requests fail and its replicas are gone. */
  #fail(slot: Slot): void {
    this.#stop(slot, "Cannot use key: its crypto worker stopped");
  }

  #stop(slot: Slot, message: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.worker.terminate();
    for (const pending of slot.pending.values()) {
      pending.reject(new HsmError("unavailable", message));
    }
    slot.pending.clear();
  }
}

/** Starts a pool of crypto workers (default one per CPU core, at least one). */
export function createOffloadPool(options: OffloadPoolOptions = {}): OffloadPool {
  return new OffloadPool(options);
}
