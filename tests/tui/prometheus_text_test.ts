import assert from "node:assert/strict";
import { MetricsSnapshot } from "../../src/tui/prometheus_text.ts";

Deno.test("samples are read with their labels, escapes and special values", () => {
  const m = MetricsSnapshot.parse(`# HELP x help
# TYPE x counter
x{route="/a",status="200"} 5
x{route="/b \\"q\\" \\\\ \\n",status="500"} 2 1700000000
y NaN
z +Inf
bad{unclosed="1 3
not a sample
w -1.5e3
`);
  assert.equal(m.value("x", { status: "200" }), 5);
  assert.equal(m.samples("x")[1]?.labels.route, '/b "q" \\ \n');
  assert.equal(m.sum("x"), 7);
  assert.equal(m.sum("x", (l) => l.status === "500"), 2);
  assert.ok(Number.isNaN(m.value("y")));
  assert.equal(m.value("z"), Infinity);
  assert.equal(m.value("w"), -1500);
  assert.equal(m.value("bad"), undefined);
  assert.equal(m.value("missing"), undefined);
});
