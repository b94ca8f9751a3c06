/**
 * The extra Deno permissions of audit streaming and certificates, derived from the
 * Config like the rest of `permissions.ts`: network access to exactly the configured
 * syslog collectors, NATS servers, ACME directory (and the port its http-01 responder
 * listens on) and OCSP responder; read access to the CA files; read and write access to
 * the ACME cache dir; with ACME, every environment variable (see `allEnv`).
 *
 * The OCSP responder is named inside the certificate, so it is read here from the
 * certificate file (`--tls-cert`, or the ACME cache's certificate when one exists). A
 * certificate whose responder changes (e.g. first ACME issuance) gets its OCSP status
 * only after a restart; until then the status reads "unavailable".
 */

import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { natsEndpoint } from "../config/stream_config.ts";
import { mergeSinks, readAuditSinksFileSync } from "../config/audit_sinks_file.ts";

/** Paths and peers to add to the server's permissions. */
export interface StreamPermissions {
  readonly read: readonly string[];
  readonly write: readonly string[];
  /** `host:port` entries for `--allow-net`. */
  readonly net: readonly string[];
  /**
   * Read access to every environment variable: acme-client's `debug` dependency lists
   * `process.env` when it loads, which Deno allows only with unrestricted `--allow-env`.
   */
  readonly allEnv: boolean;
}

/** `host:port`, with brackets around an IPv6 host. */
function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The certificate file whose OCSP responder the server will query, if any. */
export function servingCertificateFile(config: Config): string | undefined {
  if (config.acme !== undefined) return join(config.acme.cacheDir, "cert.pem");
  return config.tlsCert;
}

/** The OCSP responder's `host:port` named in the first certificate of a PEM file. */
export function ocspPeer(certFile: string): string | undefined {
  let pem: string;
  try {
    pem = Deno.readTextFileSync(certFile);
  } catch {
    return undefined;
  }
  try {
    const info = new X509Certificate(pem).infoAccess ?? "";
    const url = /OCSP - URI:(http:\/\/\S+)/.exec(info)?.[1];
    if (url === undefined) return undefined;
    const u = new URL(url);
    return hostPort(u.hostname.replace(/^\[|\]$/g, ""), Number(u.port || 80));
  } catch {
    return undefined;
  }
}

/**
 * The permissions audit sinks, ACME and OCSP need under `config`.
 * @throws HsmError("invalid_request") when the audit sinks file is unreadable or invalid
 */
export function streamPermissions(config: Config): StreamPermissions {
  const read: string[] = [];
  const write: string[] = [];
  const net: string[] = [];
  if (config.auditSinksConfig !== undefined) read.push(config.auditSinksConfig);
  const sinks = mergeSinks(config.auditSinks, readAuditSinksFileSync(config.auditSinksConfig));
  for (const sink of sinks) {
    if (sink.kind === "syslog") {
      net.push(hostPort(sink.hostname, sink.port));
      // node:dgram binds an ephemeral local port before its first send.
      if (sink.transport === "udp") net.push(sink.hostname.includes(":") ? "[::]:0" : "0.0.0.0:0");
      if (sink.caFile !== undefined) read.push(sink.caFile);
    } else {
      for (const url of sink.url.split(",")) {
        const { hostname, port } = natsEndpoint(url);
        net.push(hostPort(hostname, port));
      }
    }
  }
  if (config.acme !== undefined) {
    const acme = config.acme;
    const u = new URL(acme.directoryUrl);
    net.push(hostPort(u.hostname.replace(/^\[|\]$/g, ""), Number(u.port || 443)));
    net.push(hostPort(acme.httpHost, acme.httpPort));
    read.push(acme.cacheDir);
    write.push(acme.cacheDir);
    if (acme.caFile !== undefined) read.push(acme.caFile);
  }
  const certFile = servingCertificateFile(config);
  const ocsp = certFile === undefined ? undefined : ocspPeer(certFile);
  if (ocsp !== undefined) net.push(ocsp);
  return { read, write, net: [...new Set(net)], allEnv: config.acme !== undefined };
}
