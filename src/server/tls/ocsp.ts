/**
 * OCSP (RFC 6960) for the serving certificate: builds the DER request for one
 * certificate (SHA-1 CertID, as responders universally accept) and parses and checks
 * the DER response: status successful, a BasicOCSPResponse signed by the issuer or by a
 * responder certificate the issuer signed for OCSP signing, a SingleResponse for exactly
 * our CertID, and its good / revoked / unknown status with thisUpdate and nextUpdate.
 *
 * Security caveats: the request carries no nonce (most responders ignore nonces and cache
 * responses), so freshness rests on thisUpdate/nextUpdate, which the caller checks.
 */

import { createHash, verify, X509Certificate } from "node:crypto";
import { DER_TAG, encodeDer, readDer } from "../../core/asn1.ts";

/** A certificate's OCSP status. */
export type OcspCertStatus = "good" | "revoked" | "unknown";

/** A checked OCSP response for one certificate. */
export interface OcspResult {
  readonly status: OcspCertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revokedAt?: Date;
}

/** Why a response was refused. */
export class OcspError extends Error {
  override name = "OcspError";
}

const SHA1_ALG = Uint8Array.of(0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00);
const BASIC_OID = Uint8Array.of(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01);
/** id-kp-OCSPSigning, as an encoded OID (searched in a responder certificate). */
const OCSP_SIGNING = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09);

/** Signature algorithm OIDs (dotted) → digest for node:crypto `verify`. */
const SIG_DIGESTS: Readonly<Record<string, string>> = Object.freeze({
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
});

interface Raw {
  readonly tag: number;
  readonly contents: Uint8Array;
  /** The whole encoding (identifier, length, contents). */
  readonly raw: Uint8Array;
}

function children(contents: Uint8Array): Raw[] {
  const out: Raw[] = [];
  for (let at = 0; at < contents.length;) {
    const r = readDer(contents, at);
    if (r === undefined) throw new OcspError("Malformed DER");
    out.push({ ...r.element, raw: contents.subarray(at, r.end) });
    at = r.end;
  }
  return out;
}

function one(input: Uint8Array): Raw {
  const [e, ...rest] = children(input);
  if (e === undefined || rest.length > 0) throw new OcspError("Malformed DER");
  return e;
}

function at(list: Raw[], i: number, tag?: number): Raw {
  const e = list[i];
  if (e === undefined || (tag !== undefined && e.tag !== tag)) {
    throw new OcspError("Unexpected DER structure");
  }
  return e;
}

function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(data).digest());
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function oidText(contents: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of contents) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const arc = Math.min(2, Math.floor(first / 40));
  return [arc, first - 40 * arc, ...parts].join(".");
}

function time(e: Raw): Date {
  const text = new TextDecoder().decode(e.contents);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (e.tag !== 0x18 || m === null) throw new OcspError("Malformed GeneralizedTime");
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** The parts of a certificate an OCSP CertID needs. */
interface CertParts {
  readonly serial: Raw;
  readonly issuerName: Uint8Array;
  readonly subjectName: Uint8Array;
  readonly publicKeyBits: Uint8Array;
}

function certParts(der: Uint8Array): CertParts {
  const tbs = children(at(children(one(der).contents), 0, DER_TAG.sequence).contents);
  const base = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const spki = children(at(tbs, base + 5, DER_TAG.sequence).contents);
  const bits = at(spki, 1, DER_TAG.bitString).contents;
  return {
    serial: at(tbs, base, DER_TAG.integer),
    issuerName: at(tbs, base + 2, DER_TAG.sequence).raw,
    subjectName: at(tbs, base + 4, DER_TAG.sequence).raw,
    publicKeyBits: bits.subarray(1),
  };
}

/** The DER CertID of `cert` issued by `issuer` (both PEM or DER). */
function certId(cert: X509Certificate, issuer: X509Certificate): Uint8Array {
  const leaf = certParts(new Uint8Array(cert.raw));
  const ca = certParts(new Uint8Array(issuer.raw));
  if (!equal(leaf.issuerName, ca.subjectName)) {
    throw new OcspError("The issuer certificate did not issue this certificate");
  }
  return encodeDer(
    DER_TAG.sequence,
    SHA1_ALG,
    encodeDer(DER_TAG.octetString, sha1(ca.subjectName)),
    encodeDer(DER_TAG.octetString, sha1(ca.publicKeyBits)),
    leaf.serial.raw,
  );
}

/** The DER OCSPRequest for `cert`. @throws OcspError when `issuer` did not issue it */
export function ocspRequest(cert: X509Certificate, issuer: X509Certificate): Uint8Array {
  const request = encodeDer(DER_TAG.sequence, certId(cert, issuer));
  const tbs = encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.sequence, request));
  return encodeDer(DER_TAG.sequence, tbs);
}

/**
 * Parses and checks a DER OCSPResponse for `cert`.
 * @throws OcspError when it is malformed, unsuccessful, badly signed or about another certificate
 */
export function parseOcspResponse(
  der: Uint8Array,
  cert: X509Certificate,
  issuer: X509Certificate,
): OcspResult {
  const top = children(one(der).contents);
  const status = at(top, 0, 0x0a).contents[0];
  if (status !== 0) throw new OcspError(`OCSP responder answered status ${status}`);
  const bytes = children(one(at(top, 1, 0xa0).contents).contents);
  if (!equal(at(bytes, 0, DER_TAG.oid).contents, BASIC_OID)) {
    throw new OcspError("Not a basic OCSP response");
  }
  const basic = children(one(at(bytes, 1, DER_TAG.octetString).contents).contents);
  const tbs = at(basic, 0, DER_TAG.sequence);
  const sigAlg = oidText(
    at(children(at(basic, 1, DER_TAG.sequence).contents), 0, DER_TAG.oid).contents,
  );
  const signature = at(basic, 2, DER_TAG.bitString).contents.subarray(1);
  const digest = SIG_DIGESTS[sigAlg];
  if (digest === undefined) throw new OcspError(`Unsupported OCSP signature algorithm ${sigAlg}`);
  const signers = [issuer, ...responderCerts(basic[3], issuer)];
  if (!signers.some((s) => verify(digest, tbs.raw, s.publicKey, signature))) {
    throw new OcspError("OCSP response signature does not verify");
  }
  const data = children(tbs.contents);
  const base = data[0]?.tag === 0xa0 ? 1 : 0;
  const wanted = certId(cert, issuer);
  for (const single of children(at(data, base + 2, DER_TAG.sequence).contents)) {
    const f = children(single.contents);
    if (!equal(at(f, 0, DER_TAG.sequence).raw, wanted)) continue;
    const s = at(f, 1);
    const thisUpdate = time(at(f, 2));
    const next = f[3]?.tag === 0xa0 ? time(one(f[3].contents)) : undefined;
    const common = { thisUpdate, ...(next === undefined ? {} : { nextUpdate: next }) };
    if (s.tag === 0x80) return { status: "good", ...common };
    if (s.tag === 0x82) return { status: "unknown", ...common };
    if (s.tag === 0xa1) {
      return { status: "revoked", revokedAt: time(at(children(s.contents), 0)), ...common };
    }
    throw new OcspError("Malformed certificate status");
  }
  throw new OcspError("OCSP response does not cover this certificate");
}

/** Delegated responder certificates: issued by `issuer` and marked for OCSP signing. */
function responderCerts(field: Raw | undefined, issuer: X509Certificate): X509Certificate[] {
  if (field === undefined || field.tag !== 0xa0) return [];
  const out: X509Certificate[] = [];
  for (const c of children(one(field.contents).contents)) {
    try {
      const x = new X509Certificate(c.raw);
      const raw = new Uint8Array(x.raw);
      const marked = raw.some((_, i) =>
        equal(raw.subarray(i, i + OCSP_SIGNING.length), OCSP_SIGNING)
      );
      if (marked && x.checkIssued(issuer) && x.verify(issuer.publicKey)) out.push(x);
    } catch {
      // not a usable certificate
    }
  }
  return out;
}
