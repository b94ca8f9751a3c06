/**
 * Follows the request side of one HTTP/1.1 connection byte by byte, for the TCP front
 * (`tcp_front.ts`): where each request starts, where its head ends, where its body ends
 * (`Content-Length`, or `Transfer-Encoding: chunked`), so the front can time the phases
 * of a request (slowloris), and it inserts one header line right after each request
 * line (the peer address for the server behind).
 *
 * It forwards bytes, it does not buffer requests: memory per connection is one header
 * line prefix. It refuses what it cannot frame exactly as RFC 9112 and the server
 * behind would: both `Content-Length` and `Transfer-Encoding`, differing lengths, a
 * transfer coding that does not end in `chunked`, obsolete line folding, a stray CR,
 * an HTTP/2 preface, a head over `maxHeadBytes`. Refusing keeps the two parsers from
 * disagreeing about where a request ends (request smuggling, an unnoticed slow client).
 */

/** Why a request stream was refused. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FramingError";
  }
}

/** What the framing reports while it reads a connection. */
export interface FramingEvents {
  /** The first byte of a request arrived. */
  requestStart(): void;
  /** The head is complete; `hasBody` when a body follows. */
  headComplete(hasBody: boolean): void;
  /** The whole request (head and body) has arrived. */
  requestComplete(): void;
}

/** Options of RequestFraming. */
export interface FramingOptions {
  /** A complete header line (`Name: value\r\n`) inserted after every request line. */
  readonly insert: Uint8Array;
  /** Largest request head (request line and fields), in bytes. */
  readonly maxHeadBytes: number;
}

/** Where the reader is. */
export type FramingPhase = "idle" | "head" | "body";

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
/** Bytes kept of a header line: enough for any honest Content-Length or Transfer-Encoding. */
const LINE_PREFIX = 256;
/** Longest chunk-size line (size, extensions) accepted. */
const MAX_CHUNK_LINE = 4096;
const H2_PREFACE = "PRI * HTTP/2.0";

type State =
  | "idle" // between requests (leading empty lines are skipped)
  | "line" // request line
  | "field" // header field lines
  | "length" // Content-Length body
  | "chunkSize"
  | "chunkData"
  | "chunkDataEnd"
  | "trailer";

/** The framing state machine of one connection's request stream. */
export class RequestFraming {
  readonly #insert: Uint8Array;
  readonly #maxHead: number;
  readonly #events: FramingEvents;
  #state: State = "idle";
  /** Bytes of the current head so far. */
  #headBytes = 0;
  /** Bytes left of a Content-Length body or of the current chunk. */
  #remaining = 0;
  /** The first LINE_PREFIX bytes of the current line, and its full length. */
  readonly #line = new Uint8Array(LINE_PREFIX);
  #lineLength = 0;
  #contentLength: string | undefined;
  #transferEncoding: string | undefined;
  /** In chunkDataEnd: the CR was seen. */
  #sawCr = false;

  constructor(options: FramingOptions, events: FramingEvents) {
    this.#insert = options.insert;
    this.#maxHead = options.maxHeadBytes;
    this.#events = events;
  }

  /** `idle` between requests, `head` while a head arrives, `body` while a body does. */
  get phase(): FramingPhase {
    const state = this.#state;
    if (state === "idle") return "idle";
    return state === "line" || state === "field" ? "head" : "body";
  }

  /**
   * Reads `chunk` and returns the bytes to forward: `chunk` itself, or a copy with the
   * inserted line after each request line it completes.
   * @throws FramingError when the stream cannot be framed safely (close the connection)
   */
  feed(chunk: Uint8Array): Uint8Array {
    let parts: Uint8Array[] | undefined;
    let from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case "idle": {
          const b = chunk[i] as number;
          if (b === CR || b === LF) {
            i++;
            break;
          }
          this.#state = "line";
          this.#headBytes = 0;
          this.#lineLength = 0;
          this.#contentLength = undefined;
          this.#transferEncoding = undefined;
          this.#events.requestStart();
          break;
        }
        case "line":
        case "field": {
          const b = chunk[i] as number;
          i++;
          if (++this.#headBytes > this.#maxHead) throw new FramingError("Request head too large");
          if (b !== LF) {
            if (this.#lineLength < LINE_PREFIX) this.#line[this.#lineLength] = b;
            this.#lineLength++;
            break;
          }
          if (this.#state === "line") {
            this.#requestLine();
            parts ??= [];
            parts.push(chunk.subarray(from, i), this.#insert);
            from = i;
            this.#state = "field";
          } else if (this.#fieldLine()) {
            this.#endOfHead();
          }
          this.#lineLength = 0;
          break;
        }
        case "length": {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case "chunkSize": {
          const b = chunk[i] as number;
          i++;
          if (b !== LF) {
            if (this.#lineLength < LINE_PREFIX) this.#line[this.#lineLength] = b;
            if (++this.#lineLength > MAX_CHUNK_LINE) throw new FramingError("Chunk line too long");
            break;
          }
          const size = this.#chunkSize();
          this.#lineLength = 0;
          if (size === 0) {
            this.#state = "trailer";
            this.#headBytes = 0;
          } else {
            this.#remaining = size;
            this.#state = "chunkData";
          }
          break;
        }
        case "chunkData": {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#state = "chunkDataEnd";
            this.#sawCr = false;
          }
          break;
        }
        case "chunkDataEnd": {
          const b = chunk[i] as number;
          i++;
          if (b === CR && !this.#sawCr) this.#sawCr = true;
          else if (b === LF) this.#state = "chunkSize";
          else throw new FramingError("Chunk data not followed by a line end");
          break;
        }
        case "trailer": {
          const b = chunk[i] as number;
          i++;
          if (++this.#headBytes > this.#maxHead) throw new FramingError("Trailer too large");
          if (b !== LF) {
            if (this.#lineLength < LINE_PREFIX) this.#line[this.#lineLength] = b;
            this.#lineLength++;
            break;
          }
          const empty = this.#lineLength === 0 || (this.#lineLength === 1 && this.#line[0] === CR);
          this.#lineLength = 0;
          if (empty) this.#complete();
          break;
        }
      }
    }
    if (parts === undefined) return chunk;
    parts.push(chunk.subarray(from));
    return concat(parts);
  }

  /** Checks the request line (without its line end). */
  #requestLine(): void {
    const text = this.#lineText();
    if (text.startsWith(H2_PREFACE)) throw new FramingError("HTTP/2 prior knowledge is not served");
    if (text.includes("\r")) throw new FramingError("Stray CR in the request line");
  }

  /** Reads one field line; true when it was the empty line that ends the head. */
  #fieldLine(): boolean {
    const length = this.#lineLength;
    if (length === 0 || (length === 1 && this.#line[0] === CR)) return true;
    const first = this.#line[0] as number;
    if (first === SP || first === HTAB) throw new FramingError("Obsolete line folding");
    // Only Content-Length and Transfer-Encoding matter; skip decoding any other field.
    if ((first | 0x20) !== 0x63 && (first | 0x20) !== 0x74) return false; // 'c', 't'
    const text = this.#lineText();
    const colon = text.indexOf(":");
    if (colon <= 0) return false;
    const name = text.slice(0, colon).toLowerCase();
    if (name !== "content-length" && name !== "transfer-encoding") return false;
    if (length > LINE_PREFIX) throw new FramingError(`Oversized ${name}`);
    const value = text.slice(colon + 1).trim();
    if (value.includes("\r")) throw new FramingError(`Stray CR in ${name}`);
    if (name === "content-length") {
      for (const part of value.split(",")) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) throw new FramingError("Invalid Content-Length");
        if (this.#contentLength !== undefined && this.#contentLength !== v) {
          throw new FramingError("Conflicting Content-Length");
        }
        this.#contentLength = v;
      }
    } else {
      this.#transferEncoding = this.#transferEncoding === undefined
        ? value
        : `${this.#transferEncoding},${value}`;
    }
    return false;
  }

  #endOfHead(): void {
    const te = this.#transferEncoding;
    if (te !== undefined) {
      if (this.#contentLength !== undefined) {
        throw new FramingError("Both Content-Length and Transfer-Encoding");
      }
      const codings = te.split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "");
      if (codings.at(-1) !== "chunked" || codings.indexOf("chunked") !== codings.length - 1) {
        throw new FramingError("Transfer-Encoding must end in chunked");
      }
      this.#state = "chunkSize";
      this.#lineLength = 0;
      this.#events.headComplete(true);
      return;
    }
    const length = this.#contentLength === undefined ? 0 : Number(this.#contentLength);
    if (length === 0) {
      this.#events.headComplete(false);
      this.#complete();
      return;
    }
    this.#remaining = length;
    this.#state = "length";
    this.#events.headComplete(true);
  }

  /** Parses a chunk-size line (hex size, optional `;extensions`, optional CR). */
  #chunkSize(): number {
    const text = this.#lineText().replace(/\r$/, "");
    const m = /^([0-9A-Fa-f]{1,12})(?:[ \t]*;.*)?$/.exec(text);
    if (m === null || text.includes("\r")) throw new FramingError("Invalid chunk size");
    return parseInt(m[1] as string, 16);
  }

  #complete(): void {
    this.#state = "idle";
    this.#events.requestComplete();
  }

  /** The kept prefix of the current line as Latin-1 text, trailing CR removed. */
  #lineText(): string {
    const kept = Math.min(this.#lineLength, LINE_PREFIX);
    let end = kept;
    if (kept === this.#lineLength && end > 0 && this.#line[end - 1] === CR) end--;
    return String.fromCharCode(...this.#line.subarray(0, end));
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
