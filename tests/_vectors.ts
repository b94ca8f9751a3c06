/**
 * Locates the public test-vector corpus (Wycheproof, NIST ACVP) that lives beside the
 * repository in `shared/vectors/` (see its SOURCES.md), or wherever the environment
 * variable `FERROHSM_VECTORS_DIR` points. The corpus is not part of the repository, so
 * vector tests must register as ignored when it is absent (use `vectorTest`).
 */

/** Absolute path of the vectors folder, or undefined when it cannot be found. */
export function vectorsDir(): string | undefined {
  let dir: string | undefined;
  try {
    dir = Deno.env.get("FERROHSM_VECTORS_DIR") || undefined;
  } catch {
    dir = undefined; // no --allow-env: fall back to the default location
  }
  dir ??= decodeURIComponent(new URL("../../shared/vectors/", import.meta.url).pathname);
  try {
    return Deno.statSync(dir).isDirectory ? dir.replace(/\/+$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/** Reads and parses one JSON vector file, `relPath` relative to the vectors folder. */
export function loadVectors<T = unknown>(relPath: string): T {
  const dir = vectorsDir();
  if (dir === undefined) throw new Error("Test vectors are absent");
  return JSON.parse(Deno.readTextFileSync(`${dir}/${relPath}`)) as T;
}

/** True when the vector file `relPath` exists. */
export function hasVectors(relPath: string): boolean {
  const dir = vectorsDir();
  if (dir === undefined) return false;
  try {
    return Deno.statSync(`${dir}/${relPath}`).isFile;
  } catch {
    return false;
  }
}

/**
 * Registers a test that needs the vector file `relPath`; when it is absent the test is
 * registered with `ignore: true` and a name saying why.
 */
export function vectorTest(name: string, relPath: string, fn: () => Promise<void> | void): void {
  if (hasVectors(relPath)) {
    Deno.test(name, fn);
  } else {
    Deno.test({
      name: `${name} (skipped: vectors absent, ${relPath} not found)`,
      ignore: true,
      fn,
    });
  }
}

/** Decodes a Wycheproof hex field (throws on malformed hex: the vector file is broken). */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new TypeError(`Malformed hex in vector file: ${text.slice(0, 16)}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Counts of how each Wycheproof case was handled, for minimum-coverage assertions. */
export interface VectorTally {
  /** Cases run through our API. */
  executed: number;
  /** Cases skipped because our API cannot express them (see each test's comment). */
  skipped: number;
  /** `acceptable` cases our code accepted. */
  acceptableAccepted: number;
  /** `acceptable` cases our code rejected. */
  acceptableRejected: number;
}

/** A zeroed tally. */
export function newTally(): VectorTally {
  return { executed: 0, skipped: 0, acceptableAccepted: 0, acceptableRejected: 0 };
}
