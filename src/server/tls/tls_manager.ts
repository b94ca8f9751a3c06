/**
 * The serving certificate of the TLS listener and everything that changes it without a
 * restart: certificate files polled for changes (`--tls-cert/--tls-key`, every
 * `--tls-reload-interval` seconds), ACME renewal checks, and `reload()` (SIGHUP: re-read
 * the files, or force an ACME renewal). A new pair is checked (`inspectCertificate`)
 * before it is handed to the listener; a bad one is counted and logged and the old
 * certificate keeps serving. The OCSP monitor follows whichever certificate is serving.
 *
 * Every TLS listener can swap its certificate (`setCertificate`: both the TLS front and
 * the mutual-TLS listener are node:tls servers; Deno.serve could not, see
 * docs/operations.md), so reloading is always on with TLS.
 */

import type { Config } from "../../config/config.ts";
import type { TlsFigures } from "../../metrics/ferrohsm_metrics.ts";
import type { Logger } from "../../util/logger.ts";
import { readFlagFile } from "../flag_files.ts";
import { AcmeManager } from "./acme_manager.ts";
import { inspectCertificate, type ServingCertificate } from "./certificate_info.ts";
import { OcspMonitor, type OcspStatus } from "./ocsp_monitor.ts";

/** What the manager swaps certificates into (the node:https listener). */
export interface CertificateTarget {
  setCertificate(cert: string, key: string): void;
}

/** The TLS block of /healthz. */
export interface TlsHealth {
  readonly serial: string;
  readonly not_after: string;
  readonly hot_reload: boolean;
  readonly reloads: number;
  readonly acme?: {
    readonly renewals: number;
    readonly failures: number;
    readonly last_error?: string;
  };
  readonly ocsp: {
    readonly status: OcspStatus["status"];
    readonly url?: string;
    readonly this_update?: string;
    readonly next_update?: string;
    readonly failures: number;
    readonly last_error?: string;
  };
}

/** Default interval of file checks when the listener can swap certificates anyway. */
const DEFAULT_RELOAD_SECONDS = 60;

/** Owns the serving certificate. */
export class TlsManager {
  readonly #config: Config;
  readonly #log: Logger | undefined;
  readonly #acme: AcmeManager | undefined;
  readonly #ocsp: OcspMonitor;
  readonly hotReload: boolean;
  #current: ServingCertificate;
  #target: CertificateTarget | undefined;
  #fileStamp: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reloads = 0;
  #reloadFailures = 0;
  #checking: Promise<void> | undefined;

  private constructor(
    config: Config,
    log: Logger | undefined,
    acme: AcmeManager | undefined,
    current: ServingCertificate,
    fileStamp: string | undefined,
  ) {
    this.#config = config;
    this.#log = log;
    this.#acme = acme;
    this.#current = current;
    this.#fileStamp = fileStamp;
    this.hotReload = true;
    this.#ocsp = new OcspMonitor({ intervalMs: config.ocspIntervalSeconds * 1000, log });
  }

  /**
   * Loads the certificate (files, or the ACME cache / a new ACME order); undefined
   * without TLS. @throws when no usable certificate can be had
   */
  static async open(config: Config, log?: Logger): Promise<TlsManager | undefined> {
    if (config.acme !== undefined) {
      const acme = new AcmeManager(config.acme, log);
      return new TlsManager(config, log, acme, await acme.certificate(), undefined);
    }
    if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
    const certText = await readFlagFile("--tls-cert", config.tlsCert);
    const keyText = await readFlagFile("--tls-key", config.tlsKey);
    const stamp = await fileStamp(config.tlsCert, config.tlsKey);
    const cert = inspectCertificate(certText, keyText);
    return new TlsManager(config, log, undefined, cert, stamp);
  }

  /** The certificate serving now. */
  current(): ServingCertificate {
    return this.#current;
  }

  /** Starts OCSP and, with a target, the reload and renewal checks. */
  start(target: CertificateTarget | undefined): void {
    this.#target = target;
    this.#ocsp.follow(this.#current);
    if (target === undefined || !this.hotReload) return;
    const seconds = this.#config.tlsReloadSeconds ??
      (this.#acme === undefined ? DEFAULT_RELOAD_SECONDS : 3600);
    this.#timer = setInterval(() => {
      this.#checking ??= this.#check(false).finally(() => this.#checking = undefined);
    }, seconds * 1000);
  }

  /** Re-reads the files now (or, with ACME, renews now) and swaps on change. Never throws. */
  async reload(): Promise<void> {
    await this.#checking;
    this.#checking = this.#check(true);
    await this.#checking;
    this.#checking = undefined;
  }

  /** The /healthz block. */
  health(): TlsHealth {
    const acme = this.#acme?.stats();
    return {
      serial: this.#current.serial,
      not_after: this.#current.notAfter.toISOString(),
      hot_reload: this.hotReload && this.#target !== undefined,
      reloads: this.#reloads,
      ...(acme === undefined ? {} : {
        acme: {
          renewals: acme.renewals,
          failures: acme.failures,
          ...(acme.lastError === undefined ? {} : { last_error: acme.lastError }),
        },
      }),
      ocsp: ocspHealth(this.#ocsp.status()),
    };
  }

  /** The metric figures. */
  figures(): TlsFigures {
    const acme = this.#acme?.stats();
    const ocsp = this.#ocsp.status();
    return {
      notAfterSeconds: Math.floor(this.#current.notAfter.getTime() / 1000),
      reloads: this.#reloads,
      reloadFailures: this.#reloadFailures,
      acmeRenewals: acme?.renewals ?? 0,
      acmeFailures: acme?.failures ?? 0,
      ocspStatus: ocsp.status,
      ocspNextUpdateSeconds: ocsp.nextUpdate === undefined
        ? undefined
        : Math.floor(Date.parse(ocsp.nextUpdate) / 1000),
      ocspFailures: ocsp.failures,
    };
  }

  /** Stops the checks and the OCSP monitor. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking;
    await this.#ocsp.close();
  }

  async #check(forced: boolean): Promise<void> {
    try {
      const next = await this.#next(forced);
      if (next === undefined) return;
      if (this.#target === undefined || !this.hotReload) {
        this.#log?.log("warn", "certificate changed but this listener cannot swap it; restart", {});
        return;
      }
      this.#target.setCertificate(next.cert, next.key);
      const previous = this.#current.serial;
      this.#current = next;
      this.#reloads++;
      this.#ocsp.follow(next);
      this.#log?.log("info", "TLS certificate reloaded", {
        previous_serial: previous,
        serial: next.serial,
        not_after: next.notAfter.toISOString(),
      });
    } catch (err) {
      this.#reloadFailures++;
      this.#log?.log("error", "TLS certificate reload failed; the old certificate stays", {
        error: err instanceof Error ? err.name : "Error",
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** The certificate to swap in, or undefined when nothing changed. */
  async #next(forced: boolean): Promise<ServingCertificate | undefined> {
    if (this.#acme !== undefined) {
      return forced || this.#acme.due(this.#current) ? await this.#acme.renew() : undefined;
    }
    const { tlsCert, tlsKey } = this.#config;
    if (tlsCert === undefined || tlsKey === undefined) return undefined;
    const stamp = await fileStamp(tlsCert, tlsKey);
    if (!forced && stamp === this.#fileStamp) return undefined;
    const next = inspectCertificate(
      await Deno.readTextFile(tlsCert),
      await Deno.readTextFile(tlsKey),
    );
    this.#fileStamp = stamp;
    return next.cert === this.#current.cert && next.key === this.#current.key ? undefined : next;
  }
}

/** A cheap change marker of the two files: mtime, size and inode of each. */
async function fileStamp(cert: string, key: string): Promise<string> {
  const [a, b] = await Promise.all([Deno.stat(cert), Deno.stat(key)]);
  return [a, b].map((s) => `${s.mtime?.getTime()}:${s.size}:${s.ino}`).join("|");
}

/** The OCSP status in /healthz's snake_case. */
function ocspHealth(s: OcspStatus): TlsHealth["ocsp"] {
  return {
    status: s.status,
    ...(s.url === undefined ? {} : { url: s.url }),
    ...(s.thisUpdate === undefined ? {} : { this_update: s.thisUpdate }),
    ...(s.nextUpdate === undefined ? {} : { next_update: s.nextUpdate }),
    failures: s.failures,
    ...(s.lastError === undefined ? {} : { last_error: s.lastError }),
  };
}
