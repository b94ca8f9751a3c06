/**
 * Certificate sign-in for the web dashboard: which mTLS client certificates open a
 * session by themselves, and as whom. The operator lists each certificate by its RFC
 * 8705 thumbprint (`x5t#S256`: base64url SHA-256 of the DER certificate, as `token mint
 * --cnf-x5t-s256` takes) with the actor and roles it signs in as:
 *
 * ```json
 * {"version": 1, "certificates": [
 *   {"x5t#S256": "<thumbprint>", "sub": "alice", "roles": ["Administrator"]}]}
 * ```
 *
 * Security: a certificate not listed signs in nobody (the token form is shown); being
 * issued by the client CA is not enough. Thumbprints pin one certificate, so a renewed
 * certificate must be listed again. `Service` is refused here as on the token form: a
 * machine identity never gets a dashboard session. The file is read once at start-up
 * and fails closed (an unknown field, role or a duplicate thumbprint is an error naming
 * the file).
 */

import { z } from "zod";
import { isRole, type Role } from "../access/rbac.ts";
import { HsmError } from "../domain/errors.ts";

/** Roles that may hold a dashboard session. */
export const DASHBOARD_ROLES: readonly Role[] = ["Administrator", "Operator", "Auditor"];

/** Who a certificate signs in as. */
export interface CertificateIdentity {
  readonly sub: string;
  readonly roles: readonly Role[];
}

const entrySchema = z.strictObject({
  "x5t#S256": z.string().regex(/^[A-Za-z0-9_-]{43}$/, "expected a base64url SHA-256 thumbprint"),
  sub: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, "expected printable ASCII"),
  roles: z.array(z.string()).min(1),
});

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  version: z.literal(1),
  certificates: z.array(entrySchema),
});

/** The thumbprint → identity map (empty: certificate sign-in is off). */
export class CertificateMap {
  readonly #byThumbprint: ReadonlyMap<string, CertificateIdentity>;

  constructor(entries: Iterable<readonly [string, CertificateIdentity]> = []) {
    this.#byThumbprint = new Map(entries);
  }

  /** How many certificates are listed. */
  get size(): number {
    return this.#byThumbprint.size;
  }

  /** The identity of a presented certificate, or undefined when it is not listed. */
  lookup(thumbprint: string | undefined): CertificateIdentity | undefined {
    return thumbprint === undefined ? undefined : this.#byThumbprint.get(thumbprint);
  }
}

/**
 * Parses the JSON text of a certificate map.
 * @throws HsmError("invalid_request") naming the source and the problem
 */
export function parseCertificateMap(text: string, source = "(inline)"): CertificateMap {
  const fail = (problem: string) =>
    new HsmError("invalid_request", `Invalid dashboard certificate map ${source}: ${problem}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail("not valid JSON");
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw fail(`${where}${issue?.message ?? "invalid"}`);
  }
  const entries: [string, CertificateIdentity][] = [];
  const seen = new Set<string>();
  for (const [i, entry] of parsed.data.certificates.entries()) {
    const thumbprint = entry["x5t#S256"];
    if (seen.has(thumbprint)) throw fail(`certificates.${i}: duplicate thumbprint`);
    seen.add(thumbprint);
    const roles: Role[] = [];
    for (const role of entry.roles) {
      if (!isRole(role)) throw fail(`certificates.${i}: unknown role "${role}"`);
      if (!DASHBOARD_ROLES.includes(role)) {
        throw fail(`certificates.${i}: role ${role} cannot sign in to the dashboard`);
      }
      roles.push(role);
    }
    entries.push([thumbprint, { sub: entry.sub, roles }]);
  }
  return new CertificateMap(entries);
}

/**
 * Reads a certificate map file, or returns an empty map when no path is given.
 * @throws HsmError("invalid_request") naming the file and the problem
 */
export async function loadCertificateMap(path?: string): Promise<CertificateMap> {
  if (path === undefined) return new CertificateMap();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new HsmError("invalid_request", `Cannot read dashboard certificate map ${path}`);
  }
  return parseCertificateMap(text, path);
}
