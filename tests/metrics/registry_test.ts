/**
 * The metrics registry against the Prometheus text exposition format 0.0.4: HELP/TYPE
 * once per family, label and HELP escaping, cumulative histogram buckets ending in +Inf,
 * name validation, scrape-time collectors and the cardinality cap.
 */

import assert from "node:assert/strict";
import {
  Counter,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  Gauge,
  Histogram,
  OVERFLOW_LABEL_VALUE,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from "../../src/metrics/registry.ts";

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

Deno.test("the content type is the 0.0.4 text format", () => {
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("a counter renders HELP and TYPE once, then one sample per label set", () => {
  const r = new Registry();
  const c = r.counter({ name: "app_requests_total", help: "Requests", labelNames: ["code"] });
  c.inc({ code: "200" });
  c.inc({ code: "200" }, 2);
  c.inc({ code: "404" });
  assert.deepEqual(lines(r.render()), [
    "# HELP app_requests_total Requests",
    "# TYPE app_requests_total counter",
    'app_requests_total{code="200"} 3',
    'app_requests_total{code="404"} 1',
  ]);
  assert.equal(c.get({ code: "200" }), 3);
  assert.ok(r.render().endsWith("\n"));
});

Deno.test("an unlabelled metric renders without braces and an empty registry renders nothing", () => {
  assert.equal(new Registry().render(), "");
  const r = new Registry();
  r.gauge({ name: "app_temperature", help: "T" }).set(undefined, -1.5);
  assert.deepEqual(lines(r.render()).slice(2), ["app_temperature -1.5"]);
});

Deno.test("label values escape backslash, double quote and line feed", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const r = new Registry();
  r.counter({ name: "x_total", help: "h", labelNames: ["v"] }).inc({ v: 'say "hi"\\\n' });
  assert.ok(r.render().includes('x_total{v="say \\"hi\\"\\\\\\n"} 1\n'));
});

Deno.test("HELP text escapes backslash and line feed but not double quotes", () => {
  assert.equal(escapeHelp('a\\b\n"c"'), 'a\\\\b\\n"c"');
  const r = new Registry();
  r.gauge({ name: "g", help: "two\nlines" });
  assert.equal(lines(r.render())[0], "# HELP g two\\nlines");
});

Deno.test("special values render as +Inf, -Inf and NaN", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0.25), "0.25");
});

Deno.test("histogram buckets are cumulative, end in +Inf, and carry _sum and _count", () => {
  const r = new Registry();
  const h = r.histogram({
    name: "op_seconds",
    help: "Op time",
    labelNames: ["op"],
    buckets: [0.1, 1, 10],
  });
  for (const v of [0.05, 0.1, 0.5, 5, 50]) h.observe({ op: "sign" }, v);
  assert.deepEqual(lines(r.render()), [
    "# HELP op_seconds Op time",
    "# TYPE op_seconds histogram",
    'op_seconds_bucket{op="sign",le="0.1"} 2',
    'op_seconds_bucket{op="sign",le="1"} 3',
    'op_seconds_bucket{op="sign",le="10"} 4',
    'op_seconds_bucket{op="sign",le="+Inf"} 5',
    'op_seconds_sum{op="sign"} 55.65',
    'op_seconds_count{op="sign"} 5',
  ]);
  assert.equal(h.count({ op: "sign" }), 5);
});

Deno.test("an empty histogram series is never rendered and buckets must increase", () => {
  const r = new Registry();
  r.histogram({ name: "h_seconds", help: "h" });
  assert.equal(lines(r.render()).length, 2);
  assert.throws(() => new Histogram({ name: "a", help: "a", buckets: [1, 1] }), RangeError);
  assert.throws(() => new Histogram({ name: "a", help: "a", buckets: [2, 1] }), RangeError);
  assert.throws(() => new Histogram({ name: "a", help: "a", buckets: [1, Infinity] }), RangeError);
  assert.throws(() => new Histogram({ name: "a", help: "a", buckets: [] }), RangeError);
});

Deno.test("names and labels are validated; le is reserved in histograms", () => {
  assert.throws(() => new Gauge({ name: "1bad", help: "h" }), TypeError);
  assert.throws(() => new Gauge({ name: "has-dash", help: "h" }), TypeError);
  assert.throws(() => new Gauge({ name: "ok", help: "h", labelNames: ["__x"] }), TypeError);
  assert.throws(() => new Gauge({ name: "ok", help: "h", labelNames: ["a-b"] }), TypeError);
  assert.throws(() => new Gauge({ name: "ok", help: "h", labelNames: ["a", "a"] }), TypeError);
  assert.throws(() => new Histogram({ name: "ok", help: "h", labelNames: ["le"] }), TypeError);
  assert.throws(() => new Counter({ name: "no_suffix", help: "h" }), TypeError);
  new Gauge({ name: "ns:sub_name", help: "h", labelNames: ["le"] });
});

Deno.test("registering a name twice, or one a histogram already renders, is refused", () => {
  const r = new Registry();
  r.histogram({ name: "lat_seconds", help: "h" });
  assert.throws(() => r.gauge({ name: "lat_seconds", help: "h" }), TypeError);
  assert.throws(() => r.gauge({ name: "lat_seconds_count", help: "h" }), TypeError);
});

Deno.test("counters only increase and every declared label is required", () => {
  const c = new Counter({ name: "c_total", help: "h", labelNames: ["a"] });
  assert.throws(() => c.inc({ a: "x" }, -1), RangeError);
  assert.throws(() => c.inc({ a: "x" }, NaN), RangeError);
  assert.throws(() => c.inc({} as { a: string }), TypeError);
});

Deno.test("beyond the series cap, new label combinations go to one `other` series", () => {
  const r = new Registry();
  const c = r.counter({ name: "hits_total", help: "h", labelNames: ["path"], maxSeries: 3 });
  for (let i = 0; i < 100; i++) c.inc({ path: `/p/${i}` });
  c.inc({ path: "/p/0" }); // an existing series keeps counting
  assert.equal(c.seriesCount, 4);
  const samples = lines(r.render()).slice(2);
  assert.deepEqual(samples, [
    'hits_total{path="/p/0"} 2',
    'hits_total{path="/p/1"} 1',
    'hits_total{path="/p/2"} 1',
    `hits_total{path="${OVERFLOW_LABEL_VALUE}"} 97`,
  ]);
});

Deno.test("the cap also bounds histograms", () => {
  const h = new Histogram({ name: "h", help: "h", labelNames: ["k"], maxSeries: 2, buckets: [1] });
  for (let i = 0; i < 10; i++) h.observe({ k: String(i) }, 0.5);
  assert.equal(h.seriesCount, 3);
  assert.equal(h.count({ k: OVERFLOW_LABEL_VALUE }), 8);
});

Deno.test("collected metrics are read at scrape time", () => {
  let n = 1;
  const r = new Registry();
  r.gauge({ name: "live", help: "h", collect: () => n });
  r.counter({
    name: "by_cache_total",
    help: "h",
    labelNames: ["cache"],
    collect: () => [{ labels: { cache: "key" }, value: n * 10 }],
  });
  assert.ok(r.render().includes("live 1\n"));
  n = 2;
  const text = r.render();
  assert.ok(text.includes("live 2\n"));
  assert.ok(text.includes('by_cache_total{cache="key"} 20\n'));
  assert.throws(() => (r.get("live") as Gauge).set(undefined, 3), TypeError);
});

Deno.test("a failing collector renders its family without samples and is reported", () => {
  const failed: string[] = [];
  const r = new Registry({ onCollectError: (name) => failed.push(name) });
  r.gauge({
    name: "broken",
    help: "h",
    collect: () => {
      throw new Error("boom");
    },
  });
  r.gauge({ name: "fine", help: "h", collect: () => 1 });
  assert.deepEqual(lines(r.render()), [
    "# HELP broken h",
    "# TYPE broken gauge",
    "# HELP fine h",
    "# TYPE fine gauge",
    "fine 1",
  ]);
  assert.deepEqual(failed, ["broken"]);
});

Deno.test("lone surrogates in label values are replaced so the output stays UTF-8", () => {
  const r = new Registry();
  r.counter({ name: "s_total", help: "h", labelNames: ["v"] }).inc({ v: "a\ud800b" });
  assert.ok(r.render().includes('s_total{v="a\ufffdb"} 1'));
});
