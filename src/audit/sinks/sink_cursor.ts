/**
 * A sink's durable cursor: the seq of the last audit entry it forwarded, kept in a small
 * JSON file written atomically (temp file, fsync, rename, directory fsync), so a restart
 * resumes after the last forwarded entry rather than resending the log or skipping part
 * of it. A crash between a delivery and the cursor write resends that batch (at least
 * once); every forwarded entry carries its seq, so receivers can drop duplicates.
 *
 * Security caveats: the file holds a number only; it is not MAC'd, so someone who can
 * edit the data directory can make a sink skip or resend entries, which the receiver
 * sees as a seq gap or duplicate.
 */

import { writeFileDurably } from "../../util/fs.ts";

/** Reads and writes one sink's cursor file. */
export class SinkCursor {
  readonly #path: string;

  /** `path`: the cursor file (its directory must exist). */
  constructor(path: string) {
    this.#path = path;
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * The stored seq, or 0 when there is no cursor yet.
   * @throws TypeError when the file exists but is not a cursor
   */
  async read(): Promise<number> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0;
      throw err;
    }
    let seq: unknown;
    try {
      seq = (JSON.parse(text) as { seq?: unknown }).seq;
    } catch {
      seq = undefined;
    }
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
      throw new TypeError(`Cannot read audit sink cursor ${this.#path}: not a cursor`);
    }
    return seq;
  }

  /** Replaces the stored seq durably. */
  async write(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("Invalid cursor seq");
    const data = new TextEncoder().encode(JSON.stringify({ seq }) + "\n");
    await writeFileDurably(this.#path, data, { replace: true });
  }
}
