/**
 * The one logger: structured JSON lines on stderr. Callers pass fields, never secrets:
 * key material, tokens and plaintexts must not be logged (nothing here can tell).
 */

/** Log severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A sink for structured log lines. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Writes JSON lines to stderr. */
export function stderrLogger(minLevel: LogLevel = "info"): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  const encoder = new TextEncoder();
  return {
    log(level, message, fields = {}) {
      if (order[level] < order[minLevel]) return;
      const line = JSON.stringify({ ts: new Date().toISOString(), level, message, ...fields });
      writeAll(Deno.stderr, encoder.encode(line + "\n"));
    },
  };
}

/** Writes a line for people to stdout (CLI output, the `listening on` line). */
export function printLine(text: string): void {
  writeAll(Deno.stdout, new TextEncoder().encode(text + "\n"));
}

/** Writes every byte of `data` synchronously (writeSync may write less than asked). */
export function writeAll(target: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let at = 0;
  while (at < data.length) at += target.writeSync(data.subarray(at));
}
