/**
 * ACME (RFC 8555) certificates for the TLS listener, through npm `acme-client`: an
 * account key and the current certificate with its key live in the cache dir (mode 0600
 * files written durably, dir 0700); at start a cached certificate that is not due for
 * renewal is used as is, otherwise one is ordered before the listener starts. Orders use
 * the http-01 challenge: a plain-HTTP responder on `--acme-http-listen` serves only
 * `/.well-known/acme-challenge/<token>` and only while an order is pending. Renewal is
 * due when fewer than `renewDays` days of validity remain; `renew()` forces it.
 *
 * Security caveats: the account key and the certificate's private key are unencrypted
 * PEM files in the cache dir (like any TLS key on disk), readable only by the server's
 * user; neither is ever logged. acme-client is loaded only when ACME is configured.
 */

import { Agent } from "node:https";
import { writeFileDurably } from "../../util/fs.ts";
import type { Logger } from "../../util/logger.ts";
import type { AcmeConfig } from "../../config/stream_config.ts";
import { inspectCertificate, type ServingCertificate } from "./certificate_info.ts";

const DAY_MS = 86_400_000;

/** Counters of the ACME manager. */
export interface AcmeStats {
  readonly renewals: number;
  readonly failures: number;
  /** Error name of the last failed order, while failing. */
  readonly lastError: string | undefined;
}

/** Obtains, caches and renews the listener's certificate. */
export class AcmeManager {
  readonly #config: AcmeConfig;
  readonly #log: Logger | undefined;
  readonly #clock: () => Date;
  #renewals = 0;
  #failures = 0;
  #lastError: string | undefined;
  #ordering: Promise<ServingCertificate> | undefined;

  constructor(config: AcmeConfig, log?: Logger, clock: () => Date = () => new Date()) {
    this.#config = config;
    this.#log = log;
    this.#clock = clock;
  }

  /**
   * The cached certificate, or a new one when none is cached or it is due for renewal
   * (a due certificate that has not expired is kept when the order fails).
   * @throws when no certificate can be obtained (the server cannot start without one)
   */
  async certificate(): Promise<ServingCertificate> {
    await Deno.mkdir(this.#config.cacheDir, { recursive: true, mode: 0o700 });
    const cached = await this.#readCached();
    if (cached !== undefined && !this.due(cached)) return cached;
    try {
      return await this.renew();
    } catch (err) {
      // A due but still valid certificate serves while renewal is retried later.
      if (cached === undefined || cached.notAfter.getTime() <= this.#clock().getTime()) throw err;
      return cached;
    }
  }

  /** True when `cert` has fewer than `renewDays` days of validity left. */
  due(cert: ServingCertificate): boolean {
    return cert.notAfter.getTime() - this.#clock().getTime() < this.#config.renewDays * DAY_MS;
  }

  /** Orders a new certificate now and caches it (one order at a time). */
  renew(): Promise<ServingCertificate> {
    this.#ordering ??= this.#order().finally(() => this.#ordering = undefined);
    return this.#ordering;
  }

  /** Counters since start. */
  stats(): AcmeStats {
    return { renewals: this.#renewals, failures: this.#failures, lastError: this.#lastError };
  }

  async #readCached(): Promise<ServingCertificate | undefined> {
    try {
      const cert = await Deno.readTextFile(`${this.#config.cacheDir}/cert.pem`);
      const key = await Deno.readTextFile(`${this.#config.cacheDir}/key.pem`);
      return inspectCertificate(cert, key);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#log?.log("warn", "cached ACME certificate unusable; ordering a new one", {
          error: err instanceof Error ? err.name : "Error",
        });
      }
      return undefined;
    }
  }

  async #order(): Promise<ServingCertificate> {
    const started = performance.now();
    try {
      const acme = await import("acme-client");
      if (this.#config.caFile !== undefined) {
        const ca = await Deno.readTextFile(this.#config.caFile);
        acme.axios.defaults.httpsAgent = new Agent({ ca });
      }
      const client = new acme.Client({
        directoryUrl: this.#config.directoryUrl,
        accountKey: await this.#accountKey(acme.crypto),
      });
      const [key, csr] = await acme.crypto.createCsr(
        { commonName: this.#config.domains[0] as string, altNames: [...this.#config.domains] },
        await acme.crypto.createPrivateEcdsaKey("P-256"),
      );
      const tokens = new Map<string, string>();
      const responder = this.#challengeResponder(tokens);
      let chain: string;
      try {
        chain = await client.auto({
          csr,
          email: this.#config.email,
          termsOfServiceAgreed: true,
          challengePriority: ["http-01"],
          // The CA validates; a self-check would need the public name to resolve here.
          skipChallengeVerification: true,
          challengeCreateFn: (_authz, challenge, keyAuthorization) => {
            tokens.set(challenge.token, keyAuthorization);
            return Promise.resolve();
          },
          challengeRemoveFn: (_authz, challenge) => {
            tokens.delete(challenge.token);
            return Promise.resolve();
          },
        });
      } finally {
        await responder.shutdown();
      }
      const keyPem = key.toString();
      const cert = inspectCertificate(chain, keyPem);
      await this.#write("key.pem", keyPem);
      await this.#write("cert.pem", chain);
      this.#renewals++;
      this.#lastError = undefined;
      this.#log?.log("info", "ACME certificate issued", {
        domains: this.#config.domains,
        serial: cert.serial,
        not_after: cert.notAfter.toISOString(),
        ms: Math.round(performance.now() - started),
      });
      return cert;
    } catch (err) {
      this.#failures++;
      this.#lastError = err instanceof Error ? err.name : "Error";
      this.#log?.log("error", "ACME order failed", {
        error: this.#lastError,
        reason: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  async #accountKey(crypto: { createPrivateEcdsaKey(curve?: "P-256"): Promise<Buffer> }) {
    const path = `${this.#config.cacheDir}/account.key`;
    try {
      return await Deno.readTextFile(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const pem = (await crypto.createPrivateEcdsaKey("P-256")).toString();
    await writeFileDurably(path, new TextEncoder().encode(pem));
    return pem;
  }

  async #write(name: string, text: string): Promise<void> {
    await writeFileDurably(`${this.#config.cacheDir}/${name}`, new TextEncoder().encode(text), {
      replace: true,
    });
  }

  /** The http-01 responder: only known tokens, plain text, nothing else. */
  #challengeResponder(tokens: Map<string, string>): Deno.HttpServer {
    const prefix = "/.well-known/acme-challenge/";
    return Deno.serve({
      hostname: this.#config.httpHost,
      port: this.#config.httpPort,
      onListen: () => {},
    }, (req) => {
      const path = new URL(req.url).pathname;
      const answer = path.startsWith(prefix) ? tokens.get(path.slice(prefix.length)) : undefined;
      return answer === undefined
        ? new Response("Not found", { status: 404 })
        : new Response(answer, { headers: { "Content-Type": "text/plain" } });
    });
  }
}
