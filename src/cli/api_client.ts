/**
 * The CLI's HTTP client for a running server: JSON requests with the bearer token,
 * optional client certificate and extra CA roots (`Deno.createHttpClient`). Every
 * non-2xx answer becomes an ApiError carrying the contract's `code` and message.
 * The token is sent only to the configured address and never printed.
 */

import { ApiError, UsageError } from "./errors.ts";

/** How to reach the server. */
export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8443`. */
  readonly addr: string;
  readonly token?: string | undefined;
  /** PEM client certificate and key (mTLS), given together. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** Extra PEM CA certificates to trust. */
  readonly caCerts?: readonly string[] | undefined;
}

/** A successful answer: status and parsed JSON body. */
export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
}

/** A thin JSON client bound to one server. Call `close()` when done. */
export class ApiClient {
  #base: string;
  #token: string | undefined;
  #http: Deno.HttpClient | undefined;

  /** @throws UsageError for an address that is not an http(s) URL */
  constructor(options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.addr);
    } catch {
      throw new UsageError(`Invalid --addr ${JSON.stringify(options.addr)}: expected a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(`Invalid --addr ${JSON.stringify(options.addr)}: expected http(s)`);
    }
    this.#base = url.href.replace(/\/+$/, "");
    this.#token = options.token === "" ? undefined : options.token;
    if (options.cert !== undefined || options.key !== undefined || options.caCerts?.length) {
      this.#http = Deno.createHttpClient({
        ...(options.caCerts === undefined ? {} : { caCerts: [...options.caCerts] }),
        ...(options.cert !== undefined && options.key !== undefined
          ? { cert: options.cert, key: options.key }
          : {}),
      });
    }
  }

  /** The server's base URL. */
  get addr(): string {
    return this.#base;
  }

  /**
   * Sends a request (a JSON body when `body` is given) and returns the raw response.
   * @throws ApiError("unreachable") when no answer arrives
   */
  async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(this.#http === undefined ? {} : { client: this.#http }),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
      const why = cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new ApiError(0, "unreachable", `Cannot reach ${this.#base}: ${why}`);
    }
  }

  /**
   * Calls an `/api/v1` endpoint and parses its JSON answer.
   * @throws UsageError without a token; ApiError for any non-2xx answer
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    if (this.#token === undefined) {
      throw new UsageError("No token: pass --token or set FERROHSM_TOKEN");
    }
    const res = await this.send(method, path, body);
    const text = await res.text();
    if (!res.ok) throw errorFrom(res, text);
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      throw new ApiError(res.status, "invalid_response", "The server answered with invalid JSON");
    }
  }

  /** Fetches a text document (e.g. `/metrics`). @throws ApiError for any non-2xx answer */
  async text(path: string): Promise<string> {
    const res = await this.send("GET", path);
    const text = await res.text();
    if (!res.ok) throw errorFrom(res, text);
    return text;
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#http?.close();
    this.#http = undefined;
  }
}

/** Builds the ApiError of a non-2xx answer from its contract error body, if any. */
export function errorFrom(res: Response, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof code === "string" && typeof message === "string") {
      return new ApiError(res.status, code, message);
    }
  } catch {
    // not a contract error body
  }
  return new ApiError(res.status, `http_${res.status}`, res.statusText || "Request failed");
}

/** `/api/v1/keys/<id><suffix>` with the id escaped. */
export function keyPath(id: string, suffix = ""): string {
  return `/api/v1/keys/${encodeURIComponent(id)}${suffix}`;
}
