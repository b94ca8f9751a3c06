/**
 * A raw TCP client for the slow-client tests: sends some bytes (maybe a partial
 * request), then reads until the server closes the connection or a time limit passes.
 */

/** Sends `text`, then reads until the server closes or `maxMs` passes. */
export async function rawExchange(
  port: number,
  text: string,
  maxMs = 5000,
): Promise<{ received: string; closedAfterMs: number; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  if (text !== "") await conn.write(new TextEncoder().encode(text));
  let received = "";
  let closed = false;
  const timer = setTimeout(() => conn.close(), maxMs);
  try {
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      received += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch {
    // closed by our own timer
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // already closed
  }
  return { received, closedAfterMs: performance.now() - started, closed };
}
