/**
 * Keeps the OCSP status of the serving certificate: fetches a response from the
 * certificate's responder on an interval (POST, RFC 6960 appendix A), checks it
 * (`ocsp.ts`) and caches it. The status reads `good`, `revoked` or `unknown` while the
 * cached response is fresh (before its nextUpdate, or within two intervals of its
 * thisUpdate when it has none), `unavailable` when fetching fails or the cache went
 * stale, and `none` when the certificate names no responder or its issuer is not in the
 * chain. A certificate swap restarts the cycle for the new certificate.
 *
 * Deno's TLS stack cannot staple the response (see docs/operations.md), so this is for
 * operators and monitoring: a revoked serving certificate is logged as an error and
 * shows in /healthz and metrics.
 */

import type { Logger } from "../../util/logger.ts";
import type { ServingCertificate } from "./certificate_info.ts";
import { ocspRequest, type OcspResult, parseOcspResponse } from "./ocsp.ts";

/** What /healthz and the metrics show. */
export interface OcspStatus {
  readonly status: "good" | "revoked" | "unknown" | "unavailable" | "none";
  readonly url?: string;
  readonly thisUpdate?: string;
  readonly nextUpdate?: string;
  /** Error name of the last failed fetch, while failing. */
  readonly lastError?: string;
  readonly failures: number;
}

/** Options of OcspMonitor. */
export interface OcspMonitorOptions {
  readonly intervalMs: number;
  readonly log?: Logger | undefined;
  readonly clock?: () => Date;
  /** Fetch timeout, ms (default 10000). */
  readonly timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Fetches and caches the OCSP status of the serving certificate. */
export class OcspMonitor {
  readonly #options: OcspMonitorOptions;
  readonly #clock: () => Date;
  #cert: ServingCertificate | undefined;
  #cached: OcspResult | undefined;
  #failures = 0;
  #lastError: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #closed = false;
  #inflight: Promise<void> | undefined;

  constructor(options: OcspMonitorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Follows `cert` from now on (fetching at once); earlier results are dropped. */
  follow(cert: ServingCertificate): void {
    this.#cert = cert;
    this.#cached = undefined;
    this.#lastError = undefined;
    this.#generation++;
    this.#schedule(0);
  }

  /** Fetches now (tests, forced refresh); resolves once done. Never throws. */
  async refresh(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#inflight;
    this.#inflight = this.#fetch();
    await this.#inflight;
    this.#inflight = undefined;
  }

  /** The status now. */
  status(): OcspStatus {
    const cert = this.#cert;
    const base = { failures: this.#failures };
    if (cert?.ocspUrl === undefined || cert.issuer === undefined) {
      return { status: "none", ...base };
    }
    const c = this.#cached;
    const fresh = c !== undefined && this.#isFresh(c);
    return {
      status: fresh ? c.status : "unavailable",
      url: cert.ocspUrl,
      ...(c === undefined ? {} : { thisUpdate: c.thisUpdate.toISOString() }),
      ...(c?.nextUpdate === undefined ? {} : { nextUpdate: c.nextUpdate.toISOString() }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      ...base,
    };
  }

  /** Stops fetching. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#inflight;
  }

  #isFresh(c: OcspResult): boolean {
    const now = this.#clock().getTime();
    if (c.nextUpdate !== undefined) return now < c.nextUpdate.getTime();
    return now < c.thisUpdate.getTime() + 2 * this.#options.intervalMs;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#inflight = this.#fetch().finally(() => this.#inflight = undefined);
    }, ms);
  }

  async #fetch(): Promise<void> {
    const cert = this.#cert;
    const generation = this.#generation;
    if (cert?.ocspUrl === undefined || cert.issuer === undefined || this.#closed) return;
    let next = this.#options.intervalMs;
    try {
      const result = await this.#query(cert.ocspUrl, cert);
      if (generation !== this.#generation) return;
      if (result.status === "revoked" && this.#cached?.status !== "revoked") {
        this.#options.log?.log("error", "serving certificate is revoked (OCSP)", {
          serial: cert.serial,
          revoked_at: result.revokedAt?.toISOString(),
        });
      }
      this.#cached = result;
      this.#lastError = undefined;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#failures++;
      const name = err instanceof Error ? err.name : "Error";
      if (this.#lastError === undefined) {
        this.#options.log?.log("warn", "OCSP fetch failed", {
          url: cert.ocspUrl,
          error: name,
          reason: err instanceof Error ? err.message : String(err),
        });
      }
      this.#lastError = name;
      next = Math.min(next, 60_000);
    }
    this.#schedule(next);
  }

  async #query(url: string, cert: ServingCertificate): Promise<OcspResult> {
    const issuer = cert.issuer;
    if (issuer === undefined) throw new TypeError("No issuer");
    const body = ocspRequest(cert.leaf, issuer);
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/ocsp-request", Accept: "application/ocsp-response" },
      body: body.slice(),
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Deno.errors.InvalidData(`OCSP responder answered HTTP ${res.status}`);
    }
    const der = new Uint8Array(await res.arrayBuffer());
    if (der.length > MAX_RESPONSE_BYTES) {
      throw new Deno.errors.InvalidData("OCSP response too large");
    }
    return parseOcspResponse(der, cert.leaf, issuer);
  }
}
