/**
 * A throwaway PKI for TLS tests, made with the openssl command: a CA, a server leaf for
 * 127.0.0.1 (`basicConstraints=critical,CA:FALSE`, which rustls requires), two client
 * leaves signed by the CA and one client leaf signed by another CA. Keys are EC P-256
 * and unencrypted; everything lives in the given folder.
 */

import assert from "node:assert/strict";
import { join } from "node:path";

/** True when the `openssl` command runs. */
export const hasOpenssl: boolean = await new Deno.Command("openssl", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);

/** A PEM certificate and key, as file paths. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** The generated PKI (all file paths). */
export interface TestPki {
  /** The CA that signs the server and the trusted clients. */
  readonly ca: string;
  readonly server: CertFiles;
  readonly client1: CertFiles;
  readonly client2: CertFiles;
  /** A client certificate from another CA. */
  readonly rogue: CertFiles;
}

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
    .output();
  assert.ok(out.success, `openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function selfSigned(dir: string, name: string): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    files.key,
    "-out",
    files.cert,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return files;
}

async function leaf(
  dir: string,
  name: string,
  issuer: CertFiles,
  extensions: string,
): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await Deno.writeTextFile(ext, extensions);
  await openssl(["req", ...EC, "-keyout", files.key, "-out", csr, "-subj", `/CN=${name}`]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    issuer.cert,
    "-CAkey",
    issuer.key,
    "-CAcreateserial",
    "-out",
    files.cert,
    "-days",
    "1",
    "-extfile",
    ext,
  ]);
  return files;
}

/** Generates the PKI under `dir`. */
export async function makePki(dir: string): Promise<TestPki> {
  const ca = await selfSigned(dir, "ca");
  const other = await selfSigned(dir, "other-ca");
  const client = "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n";
  return {
    ca: ca.cert,
    server: await leaf(
      dir,
      "server",
      ca,
      "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n" +
        "subjectAltName=IP:127.0.0.1\n",
    ),
    client1: await leaf(dir, "client1", ca, client),
    client2: await leaf(dir, "client2", ca, client),
    rogue: await leaf(dir, "rogue", other, client),
  };
}

/** The RFC 8705 thumbprint of a PEM certificate, computed by openssl alone. */
export async function opensslThumbprint(certFile: string): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      'openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -binary | openssl base64 -A',
      "sh",
      certFile,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const b64 = new TextDecoder().decode(out.stdout).trim();
  return b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A Deno HTTP client trusting the test CA, presenting `identity` when given. */
export async function tlsClient(pki: TestPki, identity?: CertFiles): Promise<Deno.HttpClient> {
  return Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(pki.ca)],
    ...(identity === undefined ? {} : {
      cert: await Deno.readTextFile(identity.cert),
      key: await Deno.readTextFile(identity.key),
    }),
  });
}
