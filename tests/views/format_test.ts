import assert from "node:assert/strict";
import { niceCeiling, polylinePoints } from "../../views/chart.tsx";
import {
  formatDuration,
  formatPercent,
  formatTime,
  shortHash,
  timeLeft,
} from "../../views/format.ts";

Deno.test("durations show their two largest units", () => {
  const cases: [number, string][] = [
    [0, "0 s"],
    [59.9, "59 s"],
    [61, "1 min 1 s"],
    [3600, "1 h"],
    [3661, "1 h 1 min"],
    [90_061, "1 d 1 h"],
    [-5, "0 s"],
  ];
  for (const [s, text] of cases) assert.equal(formatDuration(s), text, String(s));
});

Deno.test("times read in UTC, ratios as percentages, hashes shortened", () => {
  assert.equal(formatTime("2030-01-02T03:04:05.678Z"), "2030-01-02 03:04:05 UTC");
  assert.equal(formatTime("not a time"), "not a time");
  assert.equal(formatPercent(0.9234), "92.3 %");
  assert.equal(formatPercent(undefined), "–");
  assert.equal(shortHash("0123456789abcdef"), "0123456789ab");
  const now = Date.UTC(2030, 0, 1);
  assert.equal(timeLeft(new Date(now + 3_700_000).toISOString(), now), "1 h 1 min left");
  assert.equal(timeLeft(new Date(now - 1).toISOString(), now), "expired");
});

Deno.test("the chart's axis top is 1, 2 or 5 times a power of ten and points stay in the plot", () => {
  assert.deepEqual([0, 0.3, 1, 3, 7, 12, 480].map(niceCeiling), [1, 0.5, 1, 5, 10, 20, 500]);
  const points = polylinePoints([0, 5, 10, 20], 10).split(" ").map((p) => p.split(",").map(Number));
  assert.equal(points.length, 4);
  const ys = points.map((p) => p[1] as number);
  assert.ok(ys[0] as number > (ys[1] as number) && (ys[1] as number) > (ys[2] as number));
  assert.equal(ys[3], ys[2], "values above the top are clipped to it");
});
