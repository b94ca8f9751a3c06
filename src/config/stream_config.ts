/**
 * The serve flags of audit streaming and certificates, parsed into a part of `Config`:
 * audit sinks (`--audit-syslog`, `--audit-nats`), ACME (`--acme-*`), certificate hot
 * reload and OCSP. Like `config.ts`, this module only parses and validates; it reads no
 * files.
 */

import { HsmError } from "../domain/errors.ts";
import type { AuditSinkSpec } from "../audit/sinks/audit_sinks.ts";

/** The flags this module parses (each also `FERROHSM_<UPPER_SNAKE>`). */
export const STREAM_FLAGS = {
  "audit-syslog": { type: "string" },
  "audit-syslog-ca": { type: "string" },
  "audit-nats": { type: "string" },
  "audit-nats-stream": { type: "string" },
  "audit-sinks-config": { type: "string" },
  "acme-directory": { type: "string" },
  "acme-domain": { type: "string" },
  "acme-email": { type: "string" },
  "acme-cache-dir": { type: "string" },
  "acme-ca": { type: "string" },
  "acme-http-listen": { type: "string" },
  "acme-renew-days": { type: "string" },
  "tls-reload-interval": { type: "string" },
  "ocsp-interval": { type: "string" },
} as const;

/** ACME (RFC 8555) settings: obtain and renew the listener's certificate. */
export interface AcmeConfig {
  /** The CA's directory URL. */
  readonly directoryUrl: string;
  /** Names the certificate covers (the first is its common name). */
  readonly domains: readonly string[];
  readonly email: string;
  /** Where the account key, certificate and its key are kept (mode 0700). */
  readonly cacheDir: string;
  /** PEM CA file trusted for the directory's HTTPS (default: the system store). */
  readonly caFile?: string;
  /** Where the http-01 challenge responder listens while an order is pending. */
  readonly httpHost: string;
  readonly httpPort: number;
  /** Renew when fewer than this many days of validity remain. */
  readonly renewDays: number;
}

/** The streaming and certificate part of Config. */
export interface StreamConfig {
  /** Audit sinks of the flags (none by default; the file's are in `ServerConfig.files`). */
  readonly auditSinks: readonly AuditSinkSpec[];
  /** JSON file listing more audit sinks (`audit_sinks_file.ts`). */
  readonly auditSinksConfig?: string;
  /** ACME instead of `--tls-cert/--tls-key`. */
  readonly acme?: AcmeConfig;
  /**
   * How often certificate files (or the ACME certificate) are checked, seconds; given,
   * it also makes a plain TLS listener hot-reloadable (node:https instead of Deno.serve).
   */
  readonly tlsReloadSeconds?: number;
  /** How often the serving certificate's OCSP status is refreshed, seconds. */
  readonly ocspIntervalSeconds: number;
}

type Str = (flag: keyof typeof STREAM_FLAGS) => string | undefined;

function invalid(message: string): HsmError {
  return new HsmError("invalid_request", message);
}

/**
 * Parses the streaming and certificate flags.
 * @throws HsmError("invalid_request") naming the bad flag
 */
export function parseStreamConfig(
  str: Str,
  path: (p: string | undefined) => string | undefined,
  context: { readonly tlsCert: string | undefined; readonly listenHost: string },
): StreamConfig {
  const auditSinks: AuditSinkSpec[] = [];
  const syslogCa = path(str("audit-syslog-ca"));
  for (const url of list(str("audit-syslog"))) auditSinks.push(parseSyslogUrl(url, syslogCa));
  const natsStream = str("audit-nats-stream");
  if (natsStream !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(natsStream)) {
    throw invalid(
      `Invalid --audit-nats-stream ${JSON.stringify(natsStream)}: expected [A-Za-z0-9_-]{1,64}`,
    );
  }
  const nats = str("audit-nats");
  if (nats !== undefined) {
    for (const url of list(nats)) natsEndpoint(url);
    auditSinks.push({ kind: "nats", url: list(nats).join(","), stream: natsStream });
  } else if (natsStream !== undefined) {
    throw invalid("Cannot use --audit-nats-stream without --audit-nats");
  }
  const acme = parseAcme(str, path, context);
  const sinksFile = path(str("audit-sinks-config"));
  return {
    auditSinks,
    ...(sinksFile === undefined ? {} : { auditSinksConfig: sinksFile }),
    ...(acme === undefined ? {} : { acme }),
    ...(str("tls-reload-interval") === undefined
      ? {}
      : { tlsReloadSeconds: seconds(str, "tls-reload-interval", 60) }),
    ocspIntervalSeconds: seconds(str, "ocsp-interval", 3600),
  };
}

/** Parses `udp://`, `tcp://` or `tls://host:port` (IPv6 in brackets). */
export function parseSyslogUrl(url: string, caFile: string | undefined): AuditSinkSpec {
  const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(url);
  const port = Number(m?.[3]);
  if (m === null || port < 1 || port > 65535) {
    throw invalid(
      `Invalid --audit-syslog ${JSON.stringify(url)}: expected udp|tcp|tls://HOST:PORT`,
    );
  }
  const transport = m[1] as "udp" | "tcp" | "tls";
  const hostname = (m[2] as string).replace(/^\[|\]$/g, "");
  return {
    kind: "syslog",
    url,
    transport,
    hostname,
    port,
    ...(transport === "tls" && caFile !== undefined ? { caFile } : {}),
  };
}

/** The host and port of a `nats://host:port` URL. */
export function natsEndpoint(url: string): { hostname: string; port: number } {
  const m = /^nats:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(url);
  const port = Number(m?.[2] ?? 4222);
  if (m === null || port < 1 || port > 65535) {
    throw invalid(`Invalid --audit-nats ${JSON.stringify(url)}: expected nats://HOST:PORT`);
  }
  return { hostname: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

function parseAcme(
  str: Str,
  path: (p: string | undefined) => string | undefined,
  context: { readonly tlsCert: string | undefined; readonly listenHost: string },
): AcmeConfig | undefined {
  const directoryUrl = str("acme-directory");
  if (directoryUrl === undefined) {
    const stray = (["acme-domain", "acme-email", "acme-cache-dir", "acme-ca"] as const)
      .find((f) => str(f) !== undefined);
    if (stray !== undefined) throw invalid(`Cannot use --${stray} without --acme-directory`);
    return undefined;
  }
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(directoryUrl)) {
    throw invalid(
      `Invalid --acme-directory ${JSON.stringify(directoryUrl)}: expected an https URL`,
    );
  }
  if (context.tlsCert !== undefined) {
    throw invalid("Cannot use --acme-directory with --tls-cert: the certificate comes from ACME");
  }
  const domains = list(str("acme-domain"));
  if (domains.length === 0) throw invalid("Cannot use ACME: --acme-domain is required");
  for (const d of domains) {
    if (
      !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
        .test(d)
    ) {
      throw invalid(`Invalid --acme-domain ${JSON.stringify(d)}: expected a DNS name`);
    }
  }
  const email = str("acme-email");
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw invalid("Cannot use ACME: --acme-email must be an e-mail address");
  }
  const cacheDir = path(str("acme-cache-dir"));
  if (cacheDir === undefined) throw invalid("Cannot use ACME: --acme-cache-dir is required");
  const listen = str("acme-http-listen") ?? `${context.listenHost}:80`;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(listen);
  const httpPort = Number(m?.[3]);
  if (m === null || httpPort > 65535) {
    throw invalid(`Invalid --acme-http-listen ${JSON.stringify(listen)}: expected HOST:PORT`);
  }
  const renew = str("acme-renew-days") ?? "30";
  const renewDays = Number(renew);
  if (!/^\d+$/.test(renew) || !Number.isSafeInteger(renewDays) || renewDays < 1) {
    throw invalid(
      `Invalid --acme-renew-days ${JSON.stringify(renew)}: expected a positive integer`,
    );
  }
  const caFile = path(str("acme-ca"));
  return {
    directoryUrl,
    domains,
    email,
    cacheDir,
    ...(caFile === undefined ? {} : { caFile }),
    httpHost: (m[1] ?? m[2]) as string,
    httpPort,
    renewDays,
  };
}

function seconds(str: Str, flag: "tls-reload-interval" | "ocsp-interval", dflt: number): number {
  const v = str(flag);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    throw invalid(`Invalid --${flag} ${JSON.stringify(v)}: expected a positive number of seconds`);
  }
  return n;
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
