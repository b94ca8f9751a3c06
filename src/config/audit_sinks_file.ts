/**
 * The audit sinks configuration file (`--audit-sinks-config F`), for more sinks than the
 * flags express or to keep them beside the other configuration files:
 *
 * ```json
 * {
 *   "syslog": [{ "url": "tls://siem.example:6514", "ca_file": "siem-ca.pem" }],
 *   "nats": [{ "url": "nats://bus1:4222,nats://bus2:4222", "stream": "FERROHSM_AUDIT" }]
 * }
 * ```
 *
 * URLs follow the flags' syntax; a relative `ca_file` is resolved against the file's
 * folder. The server reads it once at start (`loadServerConfig`); the launcher reads it
 * too, to grant the sinks' peers.
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { HsmError } from "../domain/errors.ts";
import { type AuditSinkSpec, sinkId } from "../audit/sinks/audit_sinks.ts";
import { natsEndpoint, parseSyslogUrl } from "./stream_config.ts";

const fileSchema = z.strictObject({
  description: z.string().optional(),
  syslog: z.array(z.strictObject({ url: z.string(), ca_file: z.string().optional() })).optional(),
  nats: z.array(z.strictObject({ url: z.string(), stream: z.string().optional() })).optional(),
});

function configError(source: string, problem: string): HsmError {
  return new HsmError("invalid_request", `Invalid audit sinks config ${source}: ${problem}`);
}

/**
 * Parses the JSON text of an audit sinks file.
 * @throws HsmError("invalid_request") naming the source and the problem
 */
export function parseAuditSinksFile(text: string, source: string): AuditSinkSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw configError(source, "not valid JSON");
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw configError(source, `${where}${issue?.message ?? "invalid"}`);
  }
  const base = dirname(source);
  const specs: AuditSinkSpec[] = [];
  try {
    for (const s of parsed.data.syslog ?? []) {
      const ca = s.ca_file === undefined
        ? undefined
        : isAbsolute(s.ca_file)
        ? s.ca_file
        : resolve(base, s.ca_file);
      specs.push(parseSyslogUrl(s.url, ca));
    }
    for (const n of parsed.data.nats ?? []) {
      const urls = n.url.split(",").map((u) => u.trim());
      for (const url of urls) natsEndpoint(url);
      if (n.stream !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(n.stream)) {
        throw new HsmError("invalid_request", `Invalid stream ${JSON.stringify(n.stream)}`);
      }
      specs.push({ kind: "nats", url: urls.join(","), stream: n.stream });
    }
  } catch (err) {
    throw configError(source, err instanceof Error ? err.message : String(err));
  }
  return specs;
}

/**
 * Reads the sinks of `path` (none without a path).
 * @throws HsmError("invalid_request") when the file cannot be read or is invalid
 */
export async function loadAuditSinksFile(path?: string): Promise<AuditSinkSpec[]> {
  if (path === undefined) return [];
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw configError(path, err instanceof Error ? err.message : String(err));
  }
  return parseAuditSinksFile(text, path);
}

/** Like `loadAuditSinksFile`, synchronously (the launcher). */
export function readAuditSinksFileSync(path?: string): AuditSinkSpec[] {
  if (path === undefined) return [];
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw configError(path, err instanceof Error ? err.message : String(err));
  }
  return parseAuditSinksFile(text, path);
}

/**
 * The sinks of the flags and of the file together.
 * @throws HsmError("invalid_request") when one destination is configured twice
 */
export function mergeSinks(
  flags: readonly AuditSinkSpec[],
  file: readonly AuditSinkSpec[],
): AuditSinkSpec[] {
  const all = [...flags, ...file];
  const seen = new Set<string>();
  for (const spec of all) {
    const id = sinkId(spec);
    if (seen.has(id)) {
      throw new HsmError("invalid_request", `Audit sink ${spec.url} is configured twice`);
    }
    seen.add(id);
  }
  return all;
}
