import assert from "node:assert/strict";
import {
  APT_CUTOFF,
  APT_WINDOW,
  RCT_CUTOFF,
  RNG_HEALTH_ENTROPY_BITS,
  RNG_HEALTH_SAMPLES,
  runRngHealthTest,
} from "../../src/core/rng_health.ts";

const LOG2_ALPHA = -40;

/** A deterministic, well-spread sequence with no runs and no over-represented value. */
function counterSource(buf: Uint8Array): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 167 + 13) & 0xff;
}

Deno.test("the operating system's random source passes", () => {
  assert.deepEqual(runRngHealthTest(), { ok: true });
});

Deno.test("a well-spread deterministic source passes", () => {
  assert.deepEqual(runRngHealthTest(counterSource), { ok: true });
});

Deno.test("a stuck source fails the repetition count test", () => {
  const result = runRngHealthTest((buf) => buf.fill(0x5a));
  assert.equal(result.ok, false);
  assert.equal(result.test, "repetition_count");
  assert.match(result.detail ?? "", /repeated 6 times/);
});

Deno.test("a source that sticks briefly in the middle fails the repetition count test", () => {
  const result = runRngHealthTest((buf) => {
    counterSource(buf);
    buf.fill(0x77, 2000, 2000 + RCT_CUTOFF);
  });
  assert.equal(result.test, "repetition_count");
});

Deno.test("a run one shorter than the cutoff passes", () => {
  const result = runRngHealthTest((buf) => {
    counterSource(buf);
    buf.fill(0x77, 2000, 2000 + RCT_CUTOFF - 1);
  });
  assert.equal(result.ok, true);
});

Deno.test("a biased source without long runs fails the adaptive proportion test", () => {
  // Every even sample (so every window's first sample) is 0x42; odd samples never are.
  const result = runRngHealthTest((buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = i % 2 === 0 ? 0x42 : (i * 31) % 256 || 1;
    for (let i = 1; i < buf.length; i += 2) if (buf[i] === 0x42) buf[i] = 0x43;
  });
  assert.equal(result.ok, false);
  assert.equal(result.test, "adaptive_proportion");
});

Deno.test("a window with the first value at the APT cutoff fails and one below passes", () => {
  const plant = (count: number) => (buf: Uint8Array) => {
    counterSource(buf);
    const start = APT_WINDOW * 3;
    const value = buf[start] as number;
    // Remove natural repeats of the window's first value, then plant count-1 spaced copies.
    for (let j = start + 1; j < start + APT_WINDOW; j++) {
      if (buf[j] === value) buf[j] = value ^ 0x01;
    }
    for (let k = 1; k < count; k++) buf[start + k * 20] = value;
  };
  assert.equal(runRngHealthTest(plant(APT_CUTOFF)).test, "adaptive_proportion");
  assert.equal(runRngHealthTest(plant(APT_CUTOFF - 1)).ok, true);
});

Deno.test("a source that throws fails without naming a test", () => {
  const result = runRngHealthTest(() => {
    throw new Error("no entropy");
  });
  assert.equal(result.ok, false);
  assert.equal(result.test, undefined);
});

Deno.test("the RCT cutoff is 1 + ceil(-log2(alpha) / H)", () => {
  assert.equal(RCT_CUTOFF, 1 + Math.ceil(-LOG2_ALPHA / RNG_HEALTH_ENTROPY_BITS));
  assert.equal(RNG_HEALTH_SAMPLES % APT_WINDOW, 0);
});

Deno.test("the APT cutoff is the smallest count whose binomial tail is at most alpha", () => {
  // B = 1 + Binomial(W - 1, p): P(B >= c) = P(X >= c - 1), summed in log space.
  const n = APT_WINDOW - 1;
  const p = 2 ** -RNG_HEALTH_ENTROPY_BITS;
  const logPmf = (k: number) => {
    let lc = 0;
    for (let i = 0; i < k; i++) lc += Math.log(n - i) - Math.log(i + 1);
    return lc + k * Math.log(p) + (n - k) * Math.log1p(-p);
  };
  const tail = (k: number) => {
    let sum = 0;
    for (let i = k; i <= n; i++) sum += Math.exp(logPmf(i));
    return sum;
  };
  const alpha = 2 ** LOG2_ALPHA;
  assert.ok(tail(APT_CUTOFF - 1) <= alpha, "cutoff too low");
  assert.ok(tail(APT_CUTOFF - 2) > alpha, "cutoff not minimal");
});
