/**
 * Shared pieces of the HTTP benchmarks (bench/http.ts, bench/soak.ts, bench/profile.ts)
 * beyond `testing/` (installations and server children, shared with the tests): an
 * inspector client. Re-exports bench/_wrk.ts (running wrk) and
 * bench/_report.ts (statistics, machine facts, Markdown).
 *
 * Caveats: benchmark code, not product code. Tokens are written to files in the temp
 * installation (mode 0600) and handed to wrk by path, never on a command line; the
 * installation is deleted at the end of a run.
 */

export * from "./_report.ts";
export * from "./_wrk.ts";

/** A Chrome DevTools protocol session (bench/profile.ts, bench/soak.ts). */
export interface InspectorSession {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** The inspector WebSocket URL a process started with `--inspect` printed on stderr. */
export function inspectorUrl(stderr: string): string {
  const url = /ws:\/\/\S+/.exec(stderr)?.[0];
  if (url === undefined) throw new Error(`no inspector URL in:\n${stderr}`);
  return url;
}

/** A minimal Chrome DevTools protocol client over the inspector WebSocket. */
export async function inspector(url: string): Promise<InspectorSession> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  };
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      const id = ++next;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => ws.close(),
  };
}
