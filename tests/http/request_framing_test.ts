/**
 * The TCP front's request framing: where requests, heads and bodies start and end
 * (Content-Length and chunked, pipelined, split at every byte), the header line inserted
 * after each request line, and the streams it refuses rather than risk disagreeing
 * with the server behind about where a request ends.
 */

import assert from "node:assert/strict";
import { FramingError, RequestFraming } from "../../src/http/request_framing.ts";

const INSERT = "x-ferrohsm-peer: s 192.0.2.1\r\n";

function framing(maxHeadBytes = 64 * 1024) {
  const events: string[] = [];
  const f = new RequestFraming(
    { insert: new TextEncoder().encode(INSERT), maxHeadBytes },
    {
      requestStart: () => events.push("start"),
      headComplete: (body) => events.push(body ? "head+body" : "head"),
      requestComplete: () => events.push("complete"),
    },
  );
  return { f, events };
}

/** Feeds `text` in pieces of `step` bytes; returns the forwarded text. */
function feed(f: RequestFraming, text: string, step = Infinity): string {
  const bytes = new TextEncoder().encode(text);
  let out = "";
  for (let i = 0; i < bytes.length; i += Math.min(step, bytes.length)) {
    out += new TextDecoder().decode(f.feed(bytes.subarray(i, i + step)));
  }
  return out;
}

const GET = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
const POST = "POST /api/v1/keys HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
const CHUNKED = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nTrailer-Field: x\r\n\r\n";

function inserted(request: string): string {
  const end = request.indexOf("\r\n") + 2;
  return request.slice(0, end) + INSERT + request.slice(end);
}

Deno.test("a request without a body completes at the end of its head", () => {
  const { f, events } = framing();
  assert.equal(f.phase, "idle");
  assert.equal(feed(f, GET), inserted(GET));
  assert.deepEqual(events, ["start", "head", "complete"]);
  assert.equal(f.phase, "idle");
});

Deno.test("Content-Length and chunked bodies complete where the server would end them", () => {
  for (const request of [POST, CHUNKED]) {
    const { f, events } = framing();
    assert.equal(feed(f, request), inserted(request));
    assert.deepEqual(events, ["start", "head+body", "complete"], request);
  }
});

Deno.test("the same output and events whatever the read boundaries", () => {
  const stream = `\r\n${GET}${POST}${CHUNKED}${GET}`;
  const whole = framing();
  const expected = feed(whole.f, stream);
  for (const step of [1, 2, 3, 7, 13]) {
    const split = framing();
    assert.equal(feed(split.f, stream, step), expected, `step ${step}`);
    assert.deepEqual(split.events, whole.events, `step ${step}`);
  }
  assert.equal(expected.split(INSERT).length - 1, 4, "one inserted line per pipelined request");
  assert.deepEqual(whole.events.filter((e) => e === "complete").length, 4);
});

Deno.test("the phase follows head and body", () => {
  const { f } = framing();
  feed(f, "POST / HTTP/1.1\r\nContent-Le");
  assert.equal(f.phase, "head");
  feed(f, "ngth: 4\r\n\r\nab");
  assert.equal(f.phase, "body");
  feed(f, "cd");
  assert.equal(f.phase, "idle");
});

Deno.test("a body without Content-Length or chunked coding is empty", () => {
  const { f, events } = framing();
  feed(f, "POST / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.deepEqual(events, ["start", "head", "complete"]);
  assert.equal(f.phase, "idle");
});

Deno.test("identical repeated Content-Length values are accepted", () => {
  const { f, events } = framing();
  feed(f, "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok");
  assert.deepEqual(events, ["start", "head+body", "complete"]);
});

const REFUSED: [string, string][] = [
  [
    "Content-Length with Transfer-Encoding",
    "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
  ],
  [
    "conflicting Content-Length",
    "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
  ],
  ["a non-numeric Content-Length", "POST / HTTP/1.1\r\nContent-Length: 3x\r\n\r\n"],
  ["a transfer coding not ending in chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"],
  ["chunked applied twice", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"],
  ["obsolete line folding", "GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n"],
  ["an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
  ["an invalid chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
  [
    "chunk data without its line end",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
  ],
];

for (const [what, request] of REFUSED) {
  Deno.test(`a request with ${what} is refused`, () => {
    const { f } = framing();
    assert.throws(() => feed(f, request), FramingError);
  });
}

Deno.test("a head larger than the bound is refused", () => {
  const { f } = framing(1024);
  assert.throws(
    () => feed(f, `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(2000)}\r\n\r\n`),
    FramingError,
  );
  const small = framing(1024);
  feed(small.f, `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(900)}\r\n\r\n`);
  assert.deepEqual(small.events, ["start", "head", "complete"]);
});
