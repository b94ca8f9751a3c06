/**
 * Where the CLI writes: stdout for results, stderr for errors and progress. Colours are
 * used only on a terminal (and never with NO_COLOR); progress only when stderr is a
 * terminal, so pipes and files receive plain, parseable text.
 */

import { fromBase64 } from "../core/encoding.ts";
import { writeAll } from "../util/logger.ts";
import { CommandFailure } from "./errors.ts";

/** One output stream of the CLI. */
export interface Output {
  /** True when the stream is a terminal. */
  readonly isTerminal: boolean;
  /** True when ANSI colours may be written. */
  readonly color: boolean;
  /** Writes bytes as they are. */
  write(data: Uint8Array): void;
  /** Writes `text` and a newline. */
  line(text: string): void;
  /** Writes `text` as it is. */
  text(text: string): void;
}

/** An Output over a Deno stream (stdout or stderr). */
export function streamOutput(
  stream: { writeSync(p: Uint8Array): number; isTerminal(): boolean },
): Output {
  const isTerminal = stream.isTerminal();
  const encoder = new TextEncoder();
  return {
    isTerminal,
    color: isTerminal && !Deno.noColor,
    write: (data) => writeAll(stream, data),
    line: (text) => writeAll(stream, encoder.encode(text + "\n")),
    text: (text) => writeAll(stream, encoder.encode(text)),
  };
}

/** Reads all of stdin. */
export async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

/** Reads a file, or stdin when `path` is "-" or absent. */
export async function readInput(path: string | undefined): Promise<Uint8Array> {
  return path === undefined || path === "-" ? await readStdin() : await Deno.readFile(path);
}

/**
 * Writes `data` to a file (created with mode 0600, replaced if present) or to `out`
 * when `path` is "-" or absent.
 */
export async function writeOutput(
  path: string | undefined,
  data: Uint8Array,
  out: Output,
): Promise<void> {
  if (path === undefined || path === "-") {
    out.write(data);
    return;
  }
  await Deno.writeFile(path, data, { mode: 0o600 });
}

/**
 * Writes one binary field of an API answer: the whole JSON answer with `--json`,
 * otherwise the field's decoded bytes (wiped after writing).
 * @throws CommandFailure when the field is not base64
 */
export async function writeBinaryField(
  path: string | undefined,
  body: Record<string, unknown>,
  field: string,
  options: { json: boolean; out: Output },
): Promise<void> {
  if (options.json) {
    await writeOutput(path, new TextEncoder().encode(JSON.stringify(body) + "\n"), options.out);
    return;
  }
  const value = body[field];
  const bytes = typeof value === "string" ? fromBase64(value) : undefined;
  if (bytes === undefined) throw new CommandFailure("The server answered invalid base64");
  try {
    await writeOutput(path, bytes, options.out);
  } finally {
    bytes.fill(0);
  }
}
