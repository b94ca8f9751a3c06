/**
 * Running `wrk` for the HTTP benchmarks: one invocation with a Lua script from
 * bench/lua/, and the parser of the `FERROHSM_WRK {json}` line the scripts' `done()`
 * prints (request count, duration, error counts, latency percentiles in µs from wrk's
 * own histogram, the one `--latency` prints).
 */

import { fileURLToPath } from "node:url";

/** Folder of the wrk Lua scripts. */
export const LUA_DIR = fileURLToPath(new URL("./lua/", import.meta.url));

/** What one wrk run measured. Latencies are in microseconds. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Non-2xx/3xx responses. */
  readonly non2xx: number;
  /** Socket errors (connect, read, write, timeout). */
  readonly socketErrors: number;
  /** wrk's own text report. */
  readonly raw: string;
}

/** A wrk invocation. */
export interface WrkOptions {
  readonly url: string;
  readonly script: string;
  readonly scriptArgs: readonly string[];
  readonly connections: number;
  readonly seconds: number;
  readonly threads?: number;
  readonly timeoutS?: number;
}

/** True when `wrk` is on the PATH. */
export async function haveWrk(): Promise<boolean> {
  try {
    const out = await new Deno.Command("wrk", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.code === 0 || out.code === 1; // wrk --version exits 1 after printing usage
  } catch {
    return false;
  }
}

/** How to install wrk, for the error message when it is missing. */
export const WRK_INSTALL_HINT =
  "wrk is not installed. On Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk " +
  "(other systems: https://github.com/wg/wrk, `make` and put `wrk` on the PATH)";

/** Runs wrk once and parses its report. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const threads = Math.min(o.threads ?? 2, o.connections);
  const out = await new Deno.Command("wrk", {
    args: [
      `-t${threads}`,
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      `--timeout`,
      `${o.timeoutS ?? 10}s`,
      "--latency",
      "-s",
      o.script,
      o.url,
      "--",
      ...o.scriptArgs,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`wrk exited with ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return parseWrkReport(text);
}

/** Parses wrk's report: the `FERROHSM_WRK {json}` line printed by our Lua `done()`. */
export function parseWrkReport(text: string): WrkResult {
  const line = /^FERROHSM_WRK (\{.*\})$/m.exec(text)?.[1];
  if (line === undefined) throw new Error(`wrk report without a FERROHSM_WRK line:\n${text}`);
  const j = JSON.parse(line) as Record<string, number>;
  const n = (k: string) => j[k] ?? 0;
  const seconds = n("duration_us") / 1e6;
  return {
    requests: n("requests"),
    seconds,
    rps: seconds > 0 ? n("requests") / seconds : 0,
    p50: n("p50"),
    p90: n("p90"),
    p99: n("p99"),
    p999: n("p999"),
    max: n("max"),
    non2xx: n("status"),
    socketErrors: n("connect") + n("read") + n("write") + n("timeout"),
    raw: text,
  };
}
