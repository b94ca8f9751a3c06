import assert from "node:assert/strict";
import { entryHash } from "../../../src/audit/chain.ts";
import {
  datagramOf,
  escapeParamValue,
  formatSyslogMessage,
  frameOctetCounted,
  MAX_DATAGRAM_BYTES,
  severityOf,
} from "../../../src/audit/sinks/syslog_message.ts";
import { serializeEntry } from "../../../src/domain/audit_entry.ts";
import { chainOf, testMacKey } from "../_helpers.ts";

/** RFC 5424: PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP BOM MSG]. */
const RFC5424 =
  /^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (\[.*?[^\\]\])(?: \uFEFF(.*))?$/s;

Deno.test("an entry becomes an RFC 5424 message with its fields as structured data", async () => {
  const [entry] = await chainOf(await testMacKey(), 2);
  assert.ok(entry !== undefined);
  const msg = formatSyslogMessage(entry, { hostname: "hsm-1", procId: "42" });
  const m = RFC5424.exec(msg);
  assert.ok(m !== null, msg);
  assert.equal(m[1], String(13 * 8 + 6));
  assert.equal(m[2], entry.ts);
  assert.equal(m[3], "hsm-1");
  assert.equal(m[4], "ferrohsm");
  assert.equal(m[5], "42");
  assert.equal(m[6], "key.sign");
  assert.equal(
    m[7],
    `[ferrohsm@32473 seq="1" actor="alice" action="key.sign" key="-" result="ok" hash="${
      entryHash(entry)
    }" prev="${entry.prev_hash}"]`,
  );
  assert.equal(m[8], serializeEntry(entry));
});

Deno.test("structured data values escape quote, backslash and bracket", () => {
  assert.equal(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  assert.equal(escapeParamValue("line\nbreak"), "line\uFFFDbreak");
});

Deno.test("hostile actors cannot break out of the structured data element", async () => {
  const [entry] = await chainOf(await testMacKey(), 1, { actor: 'x"] [evil@1 a="b' });
  assert.ok(entry !== undefined);
  const msg = formatSyslogMessage(entry, { hostname: "h" });
  const sd = RFC5424.exec(msg)?.[7];
  assert.equal(sd?.includes('actor="x\\"\\] [evil@1 a=\\"b"'), true);
  assert.equal(msg.split("[ferrohsm@32473").length, 2);
});

Deno.test("header fields keep to printable ASCII and fall back to a dash", async () => {
  const [entry] = await chainOf(await testMacKey(), 1);
  assert.ok(entry !== undefined);
  const msg = formatSyslogMessage(entry, { hostname: "", appName: "fé rro" }, false);
  assert.match(msg, /^<110>1 \S+ - f__rro - key\.sign \[/);
  assert.equal(msg.endsWith("]"), true);
});

Deno.test("severity follows the entry's result", () => {
  assert.equal(severityOf("ok"), 6);
  assert.equal(severityOf("denied"), 4);
  assert.equal(severityOf("failed:integrity_error"), 3);
});

Deno.test("octet counting prefixes the byte length, not the character length", () => {
  const framed = new TextDecoder().decode(frameOctetCounted("é1"));
  assert.equal(framed, "3 é1");
});

Deno.test("a datagram too long for UDP drops the JSON body but keeps the structured data", async () => {
  const [entry] = await chainOf(await testMacKey(), 1, { actor: "a".repeat(MAX_DATAGRAM_BYTES) });
  assert.ok(entry !== undefined);
  const text = new TextDecoder().decode(datagramOf(entry, { hostname: "h" }));
  assert.equal(text.includes("\uFEFF"), false);
  assert.equal(text.includes('seq="1"'), true);
  const [small] = await chainOf(await testMacKey(), 1);
  assert.ok(small !== undefined);
  assert.equal(
    new TextDecoder().decode(datagramOf(small, { hostname: "h" })).includes("\uFEFF"),
    true,
  );
});
