/**
 * Usage counters in one JSON file (`usage.json` in the data dir) for the filesystem key
 * store: read once at open, then replaced atomically (temp file, fsync, rename) by each
 * flush. Writes are serialized in this process; the file key store's exclusive lock on
 * the data dir keeps other processes out.
 *
 * Format: `{"format": 1, "counts": {"<key id>": {"<version>": <operations>}}}`.
 */

import { fromUtf8, utf8 } from "../../core/encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import { writeFileDurably } from "../../util/fs.ts";
import type { UsageDelta, UsageStore } from "../ports.ts";
import { assertUsageDeltas, isSafeId, isValidVersion } from "../records.ts";

const FORMAT = 1;

/** Usage counters in one JSON file. */
export class FileUsageStore implements UsageStore {
  readonly #path: string;
  readonly #counts: Map<string, Map<number, number>>;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, counts: Map<string, Map<number, number>>) {
    this.#path = path;
    this.#counts = counts;
  }

  /**
   * Opens the counters at `path` (a missing file is empty).
   * @throws HsmError("integrity_error") when the file is not a counters file
   */
  static async open(path: string): Promise<FileUsageStore> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    return new FileUsageStore(path, bytes === undefined ? new Map() : decode(bytes, path));
  }

  add(deltas: readonly UsageDelta[]): Promise<void> {
    assertUsageDeltas(deltas);
    const next = this.#writing.then(async () => {
      const merged = new Map([...this.#counts].map(([id, v]) => [id, new Map(v)]));
      for (const { keyId, version, count } of deltas) {
        let versions = merged.get(keyId);
        if (versions === undefined) merged.set(keyId, versions = new Map());
        versions.set(version, (versions.get(version) ?? 0) + count);
      }
      await writeFileDurably(this.#path, utf8(encode(merged)), { replace: true });
      // Only a durable write changes what readers see.
      this.#counts.clear();
      for (const [id, v] of merged) this.#counts.set(id, v);
    });
    this.#writing = next.catch(() => undefined);
    return next;
  }

  get(keyId: string): Promise<Map<number, number>> {
    return Promise.resolve(new Map(this.#counts.get(keyId)));
  }

  async close(): Promise<void> {
    await this.#writing;
  }
}

function encode(counts: Map<string, Map<number, number>>): string {
  const out: Record<string, Record<string, number>> = {};
  for (const [id, versions] of counts) out[id] = Object.fromEntries(versions);
  return `${JSON.stringify({ format: FORMAT, counts: out })}\n`;
}

function decode(bytes: Uint8Array, path: string): Map<string, Map<number, number>> {
  const bad = () => new HsmError("integrity_error", `Usage counters are malformed: ${path}`);
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw bad();
  }
  const body = value as { format?: unknown; counts?: unknown };
  if (body?.format !== FORMAT || typeof body.counts !== "object" || body.counts === null) {
    throw bad();
  }
  const counts = new Map<string, Map<number, number>>();
  for (const [id, versions] of Object.entries(body.counts as Record<string, unknown>)) {
    if (!isSafeId(id) || typeof versions !== "object" || versions === null) throw bad();
    const map = new Map<number, number>();
    for (const [v, n] of Object.entries(versions as Record<string, unknown>)) {
      const version = Number(v);
      if (!isValidVersion(version) || !Number.isSafeInteger(n) || (n as number) < 0) throw bad();
      map.set(version, n as number);
    }
    counts.set(id, map);
  }
  return counts;
}
