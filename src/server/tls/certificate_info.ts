/**
 * Reads a PEM certificate chain and its private key as the TLS listener will serve them:
 * the leaf, its issuer (the next certificate of the chain, when present), expiry, serial
 * and OCSP responder URL, after checking that the key belongs to the leaf. Used before
 * every certificate swap, so a half-written or mismatched pair is refused and the old
 * certificate keeps serving.
 *
 * Security caveats: the private key is held as PEM text only as long as the listener
 * needs it (node:https and Deno.serve take PEM strings); it is never logged.
 */

import { createPrivateKey, X509Certificate } from "node:crypto";

/** A validated certificate chain and key, ready to serve. */
export interface ServingCertificate {
  /** PEM chain (leaf first) and PEM private key. */
  readonly cert: string;
  readonly key: string;
  readonly leaf: X509Certificate;
  /** The leaf's issuer, when the chain includes it (OCSP needs it). */
  readonly issuer: X509Certificate | undefined;
  readonly notAfter: Date;
  /** The leaf's serial number, hex. */
  readonly serial: string;
  /** The OCSP responder URL of the leaf's Authority Information Access, if any. */
  readonly ocspUrl: string | undefined;
}

/** Why a certificate pair was refused. */
export class CertificateError extends Error {
  override name = "CertificateError";
}

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Parses and checks a PEM chain and key.
 * @throws CertificateError when the chain is empty or malformed, or the key does not match
 */
export function inspectCertificate(cert: string, key: string): ServingCertificate {
  const pems = pemCertificates(cert);
  if (pems.length === 0) throw new CertificateError("Certificate file holds no PEM certificate");
  let leaf: X509Certificate;
  let issuer: X509Certificate | undefined;
  try {
    leaf = new X509Certificate(pems[0] as string);
    issuer = pems[1] === undefined ? undefined : new X509Certificate(pems[1]);
  } catch {
    throw new CertificateError("Certificate file holds a malformed certificate");
  }
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new CertificateError("Key file holds no usable private key");
  }
  if (!matches) throw new CertificateError("Private key does not match the certificate");
  const ocsp = /OCSP - URI:(https?:\/\/\S+)/.exec(leaf.infoAccess ?? "")?.[1];
  return {
    cert,
    key,
    leaf,
    issuer,
    notAfter: leaf.validToDate,
    serial: leaf.serialNumber,
    ocspUrl: ocsp,
  };
}
