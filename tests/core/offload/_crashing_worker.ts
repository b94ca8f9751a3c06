/**
 * Test helper: the real crypto worker, except that a `call` whose first argument starts
 * with byte 0xff throws an uncaught error, which kills the worker as a crash would.
 */

import "../../../src/core/offload/worker.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<{ kind: string; args?: unknown[] }>) => void) | null;
};
const real = scope.onmessage;
scope.onmessage = (event) => {
  const first = event.data.args?.[0];
  if (event.data.kind === "call" && first instanceof Uint8Array && first[0] === 0xff) {
    setTimeout(() => {
      throw new Error("worker crashed on cue");
    });
    return;
  }
  real?.(event);
};
