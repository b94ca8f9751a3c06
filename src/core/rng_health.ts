/**
 * Start-up health test of the random source, after NIST SP 800-90B §4.4: the Repetition
 * Count Test (RCT) and the Adaptive Proportion Test (APT) over 4096 bytes drawn from
 * crypto.getRandomValues (or an injected source), each byte one sample.
 *
 * Cutoffs, for a claimed min-entropy of H = 8 bits per byte and a false-positive
 * probability α = 2^-40 per test decision (the strict end of SP 800-90B §4.4's
 * recommended range 2^-40 ≤ α ≤ 2^-20; with α = 2^-20 a healthy source would fail about
 * one start-up in 4096, since a start-up makes ~4096 RCT decisions):
 * - RCT: C = 1 + ⌈-log2(α) / H⌉ = 1 + ⌈40 / 8⌉ = 6. A run of C identical samples fails;
 *   for an ideal source its probability per position is 2^(-H·(C-1)) = 2^-40 ≤ α.
 * - APT: window W = 512 (the non-binary window of §4.4.2). The first sample A of each
 *   window is counted along with its repeats among the next W-1 samples, so the count is
 *   B = 1 + Binomial(W-1, p = 2^-H). C is the smallest c with P(B ≥ c) ≤ α, i.e.
 *   C = 1 + CRITBINOM(W-1, 2^-H, 1-α) = 20 (P(B ≥ 20) ≈ 4.8·10^-13 ≤ α ≈ 9.1·10^-13);
 *   the test in tests/core/rng_health_test.ts recomputes it. A count B ≥ C fails.
 *
 * Caveat: the OS CSPRNG output is already conditioned, so these tests only catch gross
 * failures (a stuck or grossly biased source, a broken binding); they are no estimate of
 * the entropy of the kernel's noise sources.
 */

/** Fills `buf` with random bytes (crypto.getRandomValues semantics). */
export type EntropySource = (buf: Uint8Array) => void;

/** Outcome of the RNG health test; `detail` never contains sample values. */
export interface RngHealthResult {
  readonly ok: boolean;
  readonly test?: "repetition_count" | "adaptive_proportion";
  readonly detail?: string;
}

/** Number of byte samples examined at start-up. */
export const RNG_HEALTH_SAMPLES = 4096;
/** Claimed min-entropy per sample, bits. */
export const RNG_HEALTH_ENTROPY_BITS = 8;
/** Repetition Count Test cutoff: a run this long fails. */
export const RCT_CUTOFF = 6;
/** Adaptive Proportion Test window size. */
export const APT_WINDOW = 512;
/** Adaptive Proportion Test cutoff: this many occurrences of a window's first sample fail. */
export const APT_CUTOFF = 20;

function osSource(buf: Uint8Array): void {
  crypto.getRandomValues(buf);
}

/** SP 800-90B §4.4.1: fails when any value repeats RCT_CUTOFF times in a row. */
function repetitionCount(samples: Uint8Array): RngHealthResult | undefined {
  let last = -1;
  let run = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    run = s === last ? run + 1 : 1;
    last = s;
    if (run >= RCT_CUTOFF) {
      return {
        ok: false,
        test: "repetition_count",
        detail: `A value repeated ${RCT_CUTOFF} times in a row at sample ${i}`,
      };
    }
  }
  return undefined;
}

/** SP 800-90B §4.4.2: fails when a window's first value occurs APT_CUTOFF times in it. */
function adaptiveProportion(samples: Uint8Array): RngHealthResult | undefined {
  for (let start = 0; start + APT_WINDOW <= samples.length; start += APT_WINDOW) {
    const a = samples[start];
    let count = 1;
    for (let j = start + 1; j < start + APT_WINDOW; j++) {
      if (samples[j] === a) count++;
    }
    if (count >= APT_CUTOFF) {
      return {
        ok: false,
        test: "adaptive_proportion",
        detail: `The first value of window ${start / APT_WINDOW} occurred ${count} times in ` +
          `${APT_WINDOW} samples (cutoff ${APT_CUTOFF})`,
      };
    }
  }
  return undefined;
}

/**
 * Draws RNG_HEALTH_SAMPLES bytes from `source` (default crypto.getRandomValues) and runs
 * the RCT then the APT. A source that throws fails without naming a test.
 */
export function runRngHealthTest(source: EntropySource = osSource): RngHealthResult {
  const samples = new Uint8Array(RNG_HEALTH_SAMPLES);
  try {
    source(samples);
  } catch {
    return { ok: false, detail: "The random source failed to produce samples" };
  }
  const result = repetitionCount(samples) ?? adaptiveProportion(samples) ?? { ok: true };
  samples.fill(0);
  return result;
}
