/**
 * One connection relayed by the TCP front (`tcp_front.ts`): reads the client's requests
 * through the request framing (which inserts the peer header) into the Unix socket of
 * the HTTP server behind, copies the answers back, and keeps the deadline the front
 * sweeps: the head within `headersTimeoutMs`, a body within `requestTimeoutMs`, no
 * deadline while the server works, `keepAliveTimeoutMs` of idleness after an answer.
 */

import { type ClientStream, closeQuietly, writeAll } from "./client_stream.ts";
import type { ConnectionLimits } from "./connection_limits.ts";
import { FramingError, type FramingEvents, RequestFraming } from "./request_framing.ts";

/** The header the front inserts into every request. */
export const PEER_HEADER = "x-ferrohsm-peer";

/** Largest request head the front relays (the app refuses more than 16 KiB itself). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Size of the buffer answers are copied through. */
const ANSWER_BUFFER_BYTES = 64 * 1024;
const BAD_REQUEST = new TextEncoder().encode(
  "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
);
const TIMEOUT = new TextEncoder().encode(
  "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
);

/** Where a relayed connection goes and how it is timed. */
export interface RelayOptions {
  /** The Unix socket of the HTTP server behind. */
  readonly upstreamPath: string;
  readonly limits: ConnectionLimits;
  /** The secret that authenticates the inserted peer header. */
  readonly secret: string;
}

/** How a relay ended. */
export type Outcome = "closed" | "malformed";

/** One relayed client connection and its deadline. */
export class FrontConnection implements FramingEvents {
  readonly #client: ClientStream;
  readonly #options: RelayOptions;
  readonly #clock: () => number;
  readonly #framing: RequestFraming;
  #upstream: Deno.Conn | undefined;
  #now = 0;
  #requestStart = 0;
  /** A request has arrived completely and its answer has not started. */
  #awaiting = false;
  #closed = false;
  /** When the connection times out (monotonic milliseconds). */
  deadline: number;

  constructor(client: ClientStream, peer: string, options: RelayOptions, clock: () => number) {
    this.#client = client;
    this.#options = options;
    this.#clock = clock;
    this.deadline = clock() + options.limits.headersTimeoutMs;
    const insert = new TextEncoder().encode(`${PEER_HEADER}: ${options.secret} ${peer}\r\n`);
    this.#framing = new RequestFraming({ insert, maxHeadBytes: MAX_HEAD_BYTES }, this);
  }

  requestStart(): void {
    this.#requestStart = this.#now;
    this.deadline = this.#now + this.#options.limits.headersTimeoutMs;
  }

  headComplete(hasBody: boolean): void {
    if (hasBody) this.deadline = this.#requestStart + this.#options.limits.requestTimeoutMs;
  }

  requestComplete(): void {
    this.#awaiting = true;
    this.deadline = Infinity;
  }

  /** Relays both directions until either side closes; never throws. */
  async run(): Promise<Outcome> {
    try {
      this.#upstream = await Deno.connect({ transport: "unix", path: this.#options.upstreamPath });
    } catch {
      this.close();
      return "closed";
    }
    if (this.#closed) {
      this.close();
      return "closed";
    }
    const upstream = this.#upstream;
    const [outcome] = await Promise.all([this.#requests(upstream), this.#answers(upstream)]);
    this.close();
    return outcome;
  }

  /** Answers 408 when a request was cut short, then closes. */
  timeOut(): void {
    this.deadline = Infinity; // swept once
    if (!this.#awaiting && this.#framing.phase !== "idle") {
      this.#client.write(TIMEOUT).catch(() => {}).finally(() => this.close());
      return;
    }
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
    if (this.#upstream !== undefined) closeQuietly(this.#upstream);
  }

  async #requests(upstream: Deno.Conn): Promise<Outcome> {
    try {
      for (;;) {
        const chunk = await this.#client.read();
        if (chunk === null) break;
        this.#now = this.#clock();
        let out: Uint8Array;
        try {
          out = this.#framing.feed(chunk);
        } catch (err) {
          if (!(err instanceof FramingError)) throw err;
          await this.#client.write(BAD_REQUEST).catch(() => {});
          this.close();
          return "malformed";
        }
        await writeAll(upstream, out);
      }
      await upstream.closeWrite();
    } catch {
      this.close();
    }
    return "closed";
  }

  async #answers(upstream: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(ANSWER_BUFFER_BYTES);
    try {
      for (;;) {
        const n = await upstream.read(buf);
        if (n === null) break;
        if (this.#framing.phase === "idle") {
          // Answer bytes: the idle timer restarts with each of them.
          this.#awaiting = false;
          this.deadline = this.#clock() + this.#options.limits.keepAliveTimeoutMs;
        }
        await this.#client.write(buf.subarray(0, n));
      }
    } catch {
      // either side went away
    }
    this.close();
  }
}
