/**
 * RFC 5424 syslog messages for audit entries, and RFC 6587 octet-counting framing for
 * stream transports. One entry is one message: the header carries the entry's timestamp
 * and action (as MSGID), the structured data element `ferrohsm@32473` carries seq,
 * actor, action, key, result, the entry hash and the previous hash (so a SIEM can check
 * that nothing is missing or reordered), and the message body is the entry's stored JSON
 * line, from which the hash can be recomputed.
 *
 * Security caveats: a SIEM sees every field of the entry — actors, key ids, actions,
 * results, payload hashes and the entry MAC (not the MAC key); never request data or
 * key material, which entries do not hold. 32473 is the private enterprise number
 * RFC 5612 reserves for documentation; a site that needs its own SD-ID sets `sdId`.
 */

import { entryHash } from "../chain.ts";
import { type AuditEntry, serializeEntry } from "../../domain/audit_entry.ts";

/** The structured data ID used unless `sdId` says otherwise. */
export const DEFAULT_SD_ID = "ferrohsm@32473";

/** Syslog facility "log audit" (RFC 5424 table 1). */
export const FACILITY_LOG_AUDIT = 13;

/** Largest message sent as one UDP datagram; a longer one drops its JSON body. */
export const MAX_DATAGRAM_BYTES = 8192;

/** Header fields of the messages a sink sends. */
export interface SyslogHeader {
  /** HOSTNAME field (printable ASCII, at most 255 characters; "-" when unknown). */
  readonly hostname: string;
  /** APP-NAME (default "ferrohsm"). */
  readonly appName?: string;
  /** PROCID (default "-"). */
  readonly procId?: string;
  /** Facility 0..23 (default 13, log audit). */
  readonly facility?: number;
  /** SD-ID of the element (default `ferrohsm@32473`). */
  readonly sdId?: string;
}

const UTF8_BOM = "\uFEFF";
const encoder = new TextEncoder();

/** Syslog severity of an entry: 6 informational for "ok", 4 warning for denials, 3 otherwise. */
export function severityOf(result: string): number {
  if (result === "ok") return 6;
  if (result === "denied" || result.startsWith("denied")) return 4;
  return 3;
}

/**
 * Formats one entry as an RFC 5424 message (no framing, no trailing newline).
 * `withBody: false` leaves out the JSON body (used to fit a datagram).
 */
export function formatSyslogMessage(
  entry: AuditEntry,
  header: SyslogHeader,
  withBody = true,
): string {
  const facility = header.facility ?? FACILITY_LOG_AUDIT;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError("Invalid syslog facility");
  }
  const pri = facility * 8 + severityOf(entry.result);
  const hash = entryHash(entry);
  const params: [string, string][] = [
    ["seq", String(entry.seq)],
    ["actor", entry.actor],
    ["action", entry.action],
    ["key", entry.key_id ?? "-"],
    ["result", entry.result],
    ["hash", hash],
    ["prev", entry.prev_hash],
  ];
  const sd = `[${headerField(header.sdId ?? DEFAULT_SD_ID, 32)}${
    params.map(([name, value]) => ` ${name}="${escapeParamValue(value)}"`).join("")
  }]`;
  const head = [
    `<${pri}>1`,
    entry.ts,
    headerField(header.hostname, 255),
    headerField(header.appName ?? "ferrohsm", 48),
    headerField(header.procId ?? "-", 128),
    headerField(entry.action, 32),
    sd,
  ].join(" ");
  return withBody ? `${head} ${UTF8_BOM}${serializeEntry(entry)}` : head;
}

/** The message as one datagram: the whole message, or without its body when too long. */
export function datagramOf(entry: AuditEntry, header: SyslogHeader): Uint8Array {
  const full = encoder.encode(formatSyslogMessage(entry, header));
  if (full.length <= MAX_DATAGRAM_BYTES) return full;
  return encoder.encode(formatSyslogMessage(entry, header, false));
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, for TCP and TLS. */
export function frameOctetCounted(message: string): Uint8Array {
  const body = encoder.encode(message);
  const prefix = encoder.encode(`${body.length} `);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/** Escapes `"`, `\` and `]` (RFC 5424 §6.3.3) and replaces control characters. */
export function escapeParamValue(value: string): string {
  // deno-lint-ignore no-control-regex -- control characters are exactly what is replaced
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, "\uFFFD");
}

/** A header field: printable US-ASCII without spaces, bounded, "-" when empty. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return printable === "" ? "-" : printable;
}
