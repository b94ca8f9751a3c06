/**
 * The node:http(s) listener: serves a fetch-style handler (the Hono app) over
 * `node:http`, `node:https`, or `node:https` with required client certificates, which
 * unlike `Deno.serve` can also bound connections and time out slow clients. With a client
 * CA every connection must present a certificate that chains to it (the TLS handshake
 * fails otherwise); each request then carries the peer address and the certificate's
 * RFC 8705 `x5t#S256` thumbprint as ConnectionBindings.
 *
 * Slow clients (slowloris): the request headers must arrive within
 * `limits.headersTimeoutMs` and the whole request within `limits.requestTimeoutMs`
 * (else 408 and the connection closes), an idle keep-alive connection closes after
 * `limits.keepAliveTimeoutMs`, and connections beyond `limits.maxConnections` are closed
 * as soon as they are accepted, and a TLS handshake must end within the headers timeout.
 * Node checks the HTTP timers every `checkIntervalMs`.
 *
 * Security caveats: request bodies are streamed with backpressure, never buffered here
 * (the app's body limit decides); the rest of a body the app did not read (e.g. 413)
 * is discarded for at most 5 s, then the connection is closed. The Host header is
 * used only when it looks like a host name; the URL's origin never affects routing.
 */

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:net";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { sha256 } from "@noble/hashes/sha2.js";
import { toBase64Url } from "../core/encoding.ts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection_limits.ts";
import type { ConnectionBindings } from "./context.ts";

/** PEM credentials of a TLS listener. */
export interface TlsCredentials {
  /** PEM server certificate chain and private key. */
  readonly cert: string;
  readonly key: string;
  /** PEM CA certificate(s) that client certificates must chain to (mutual TLS). */
  readonly clientCa?: string;
}

/** Where and how to listen. */
export interface NodeServeOptions {
  readonly hostname: string;
  readonly port: number;
  /** TLS credentials; plain HTTP when omitted. */
  readonly tls?: TlsCredentials;
  /** Connection bound and slow-client timeouts; default DEFAULT_CONNECTION_LIMITS. */
  readonly limits?: ConnectionLimits;
  /** How long shutdown waits for in-flight requests before closing connections; default 5000. */
  readonly drainMs?: number;
}

/** Where and with which credentials to listen with required client certificates. */
export interface MutualTlsOptions {
  readonly hostname: string;
  readonly port: number;
  /** PEM server certificate chain and private key. */
  readonly cert: string;
  readonly key: string;
  /** PEM CA certificate(s) that client certificates must chain to. */
  readonly clientCa: string;
  /** Connection bound and slow-client timeouts; default DEFAULT_CONNECTION_LIMITS. */
  readonly limits?: ConnectionLimits;
  /** How long shutdown waits for in-flight requests before closing connections; default 5000. */
  readonly drainMs?: number;
}

/** A fetch-style request handler; `bindings` describe the connection. */
export type FetchHandler = (
  req: Request,
  bindings: ConnectionBindings,
) => Response | Promise<Response>;

/** A listening node:http(s) server. */
export interface NodeHttpServer {
  /** The bound address, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting, lets requests drain, then closes the remaining connections. */
  shutdown(): Promise<void>;
  /**
   * Serves a new certificate chain and key to new handshakes (`setSecureContext`);
   * open connections keep theirs.
   * @throws TypeError without TLS; the TLS error when the pair is unusable (the old stays)
   */
  setCertificate(cert: string, key: string): void;
}

/** A listening mutual-TLS server. */
export type MutualTlsServer = NodeHttpServer;

/** RFC 8705 `x5t#S256`: base64url (no padding) SHA-256 of a certificate's DER bytes. */
export function certificateThumbprint(der: Uint8Array): string {
  return toBase64Url(sha256(der));
}

const NO_BODY = new Set(["GET", "HEAD"]);
const HOST_RE = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
/** Bytes of request body queued ahead of the app before the socket is paused. */
const BODY_HIGH_WATER = 64 * 1024;
/** Header bytes node:http parses before refusing a request on its own (431). */
const MAX_HEADER_BYTES = 64 * 1024;
/** How long the rest of an abandoned request body may keep arriving before the socket closes. */
const LINGER_MS = 5000;

/**
 * Listens with TLS ≥ 1.2 and required client certificates, and serves `handler`.
 * @throws the listen error (e.g. address in use) or a TLS configuration error
 */
export function serveMutualTls(
  options: MutualTlsOptions,
  handler: FetchHandler,
): Promise<MutualTlsServer> {
  const { cert, key, clientCa, ...rest } = options;
  return serveNode({ ...rest, tls: { cert, key, clientCa } }, handler);
}

/**
 * Listens over plain HTTP, TLS ≥ 1.2, or TLS with required client certificates, with the
 * connection bound and slow-client timeouts of `options.limits`, and serves `handler`.
 * @throws the listen error (e.g. address in use) or a TLS configuration error
 */
export async function serveNode(
  options: NodeServeOptions,
  handler: FetchHandler,
): Promise<NodeHttpServer> {
  const drainMs = options.drainMs ?? 5000;
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  const tls = options.tls;
  const mutual = tls?.clientCa !== undefined;
  const scheme = tls === undefined ? "http" : "https";
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const thumbprints = new WeakMap<object, string | undefined>();
  let closing = false;
  let origin = `${scheme}://${options.hostname}:${options.port}`;

  const httpOptions = {
    // Above the app's own 16 KiB header limit, so the app answers with the contract's 400.
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const done = serveOne(req, res).catch(() => {
      try {
        if (res.headersSent) throw new Error("Response already started");
        res.writeHead(500, { "Content-Type": "application/json", Connection: "close" });
        res.end('{"error":{"code":"internal","message":"Internal error"}}');
      } catch {
        res.destroy();
      }
    });
    inFlight.add(done);
    done.finally(() => inFlight.delete(done));
  };
  const server = tls === undefined ? createHttpServer(httpOptions, onRequest) : createHttpsServer({
    ...httpOptions,
    cert: tls.cert,
    key: tls.key,
    minVersion: "TLSv1.2",
    // The HTTP timers start once TLS is up: bound the handshake the same way.
    handshakeTimeout: limits.headersTimeoutMs,
    ...(mutual ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  }, onRequest);
  server.maxConnections = limits.maxConnections;

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  }
  server.on("connection", track);
  server.on("secureConnection", track);
  // A failed or timed-out handshake (no or untrusted client certificate, a silent
  // client) is the client's problem: drop its socket (a listener replaces node's own
  // destroy, and without it the socket would stay open).
  server.on("tlsClientError", (_err: unknown, socket: Socket) => socket.destroy());

  function peerThumbprint(socket: TLSSocket): string | undefined {
    if (!mutual) return undefined;
    if (thumbprints.has(socket)) return thumbprints.get(socket);
    let thumbprint: string | undefined;
    if (socket.authorized === true) {
      const raw = socket.getPeerCertificate()?.raw;
      if (raw instanceof Uint8Array && raw.length > 0) thumbprint = certificateThumbprint(raw);
    }
    thumbprints.set(socket, thumbprint);
    return thumbprint;
  }

  async function serveOne(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    const thumbprint = peerThumbprint(socket);
    const bindings: ConnectionBindings = {
      clientAddress: socket.remoteAddress ?? "unknown",
      ...(thumbprint === undefined ? {} : { clientCertThumbprint: thumbprint }),
    };
    const body = NO_BODY.has(req.method ?? "GET") ? undefined : bodyStream(req);
    const response = await handler(toRequest(req, scheme, origin, body?.stream), bindings);
    // The app answered without reading the whole body (e.g. 413): discard the rest.
    if (!req.readableEnded) body?.detach();
    await writeResponse(req, res, response, closing);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      // Later accept errors must not crash the process; each connection fails alone.
      server.on("error", () => {});
      resolve();
    });
  });
  const address = (server as Server).address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new TypeError("node:http returned no TCP address");
  }
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  origin = `${scheme}://${host}:${address.port}`;
  const finished = new Promise<void>((resolve) => server.once("close", () => resolve()));
  let stopping: Promise<void> | undefined;

  return {
    url: origin,
    finished,
    setCertificate(cert: string, key: string) {
      if (tls === undefined) throw new TypeError("This listener serves no TLS");
      (server as unknown as { setSecureContext(options: unknown): void }).setSecureContext({
        cert,
        key,
        minVersion: "TLSv1.2",
        ...(mutual ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
      });
    },
    shutdown() {
      stopping ??= (async () => {
        closing = true;
        server.close();
        server.closeIdleConnections?.();
        await settled(inFlight, drainMs);
        for (const socket of sockets) socket.destroy();
        await settled(inFlight, drainMs);
        await finished;
      })();
      return stopping;
    },
  };
}

/** Waits until every promise in `pending` has settled, or `ms` have passed. */
async function settled(pending: Set<Promise<void>>, ms: number): Promise<void> {
  if (pending.size === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled([...pending]),
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

/** Converts a Node request into a fetch Request (with `body` streaming from the socket). */
function toRequest(
  req: IncomingMessage,
  scheme: string,
  origin: string,
  body: ReadableStream<Uint8Array> | undefined,
): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i] as string, raw[i + 1] as string);
  }
  const target = req.url ?? "/";
  // Origin form as is; absolute form or `*`: only the path and query.
  const path = target.startsWith("/") ? target : pathOf(parseUrl(target));
  const host = headers.get("host");
  const url =
    (host !== null && HOST_RE.test(host) ? parseUrl(`${scheme}://${host}${path}`) : undefined) ??
      parseUrl(`${origin}${path}`) ?? new URL(`${origin}/`);
  const init: RequestInit & { duplex?: "half" } = { method: req.method ?? "GET", headers };
  if (body !== undefined) {
    init.body = body;
    init.duplex = "half";
  }
  return new Request(url, init);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function pathOf(url: URL | undefined): string {
  return url === undefined ? "/" : `${url.pathname}${url.search}`;
}

/**
 * A byte stream over the request body that pauses the socket when the app falls behind;
 * `detach()` ends the stream and lets the rest of the body be read and discarded.
 */
function bodyStream(
  req: IncomingMessage,
): { stream: ReadableStream<Uint8Array>; detach(): void } {
  let open = true;
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      control = controller;
      req.on("data", (chunk: Uint8Array) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => {
        if (open) controller.close();
        open = false;
      });
      req.once("error", (err) => {
        if (open) controller.error(err);
        open = false;
      });
      req.once("close", () => {
        if (open && !req.complete) controller.error(new Error("Request body aborted"));
        open = false;
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      open = false;
      req.pause();
    },
  }, { highWaterMark: BODY_HIGH_WATER, size: (chunk) => chunk.byteLength });
  return {
    stream,
    detach() {
      if (open) control?.error(new Error("Request body abandoned"));
      open = false;
    },
  };
}

/** Writes a fetch Response to a Node response, honouring backpressure. */
async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  closing: boolean,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (closing) headers["connection"] = "close";
  res.writeHead(response.status, headers);
  if (response.body === null || req.method === "HEAD") {
    await response.body?.cancel();
    res.end();
  } else {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (res.destroyed) {
          await reader.cancel();
          return;
        }
        if (!res.write(value)) await drained(res);
      }
    } finally {
      reader.releaseLock();
    }
    res.end();
  }
  if (!req.readableEnded) {
    // Whatever the app left unread is discarded, for a bounded time only.
    req.resume();
    // Fully received (a GET, or a body already buffered): nothing more can arrive.
    if (req.complete) return;
    const socket = req.socket;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    const stop = () => {
      clearTimeout(timer);
      req.off("end", stop);
      socket.off("close", stop);
    };
    req.once("end", stop);
    socket.once("close", stop);
  }
}

/** Resolves once `res` can take more data or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
