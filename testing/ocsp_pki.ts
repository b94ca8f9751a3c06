/**
 * A throwaway CA for certificate tests, made with the openssl command: an RSA CA, server
 * leaves for 127.0.0.1/localhost whose Authority Information Access names an OCSP
 * responder URL, an `index.txt` database, and `openssl ocsp` run as that responder
 * (signing with the CA key). Test code only; everything lives in the given folder.
 */

import assert from "node:assert/strict";
import { join } from "node:path";

/** The CA and where its files are. */
export interface OcspCa {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly index: string;
  readonly ocspUrl: string;
}

async function openssl(args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
  }).output();
  assert.ok(out.success, `openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** Creates the CA in `dir`; issued certificates name `ocspUrl` as their responder. */
export async function makeOcspCa(dir: string, ocspUrl: string): Promise<OcspCa> {
  const caCert = join(dir, "ocsp-ca.pem");
  const caKey = join(dir, "ocsp-ca.key");
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    caKey,
    "-out",
    caCert,
    "-days",
    "2",
    "-subj",
    "/CN=FerroHSM test OCSP CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  const index = join(dir, "index.txt");
  await Deno.writeTextFile(index, "");
  return { dir, caCert, caKey, index, ocspUrl };
}

/** A leaf issued by the CA: `chain` holds the leaf then the CA certificate. */
export interface IssuedLeaf {
  readonly chain: string;
  readonly key: string;
  readonly serial: string;
}

/** Issues an EC leaf for 127.0.0.1 and localhost and records it as valid in the index. */
export async function issueLeaf(ca: OcspCa, name: string): Promise<IssuedLeaf> {
  const key = join(ca.dir, `${name}.key`);
  const csr = join(ca.dir, `${name}.csr`);
  const cert = join(ca.dir, `${name}.crt`);
  const ext = join(ca.dir, `${name}.ext`);
  await Deno.writeTextFile(
    ext,
    "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n" +
      "subjectAltName=IP:127.0.0.1,DNS:localhost\n" +
      `authorityInfoAccess=OCSP;URI:${ca.ocspUrl}\n`,
  );
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    `/CN=${name}`,
  ]);
  const serial = Array.from(
    crypto.getRandomValues(new Uint8Array(8)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("").replace(/^0/, "1").toUpperCase();
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.caCert,
    "-CAkey",
    ca.caKey,
    "-set_serial",
    `0x${serial}`,
    "-out",
    cert,
    "-days",
    "1",
    "-extfile",
    ext,
  ]);
  const chain = join(ca.dir, `${name}-chain.pem`);
  await Deno.writeTextFile(
    chain,
    (await Deno.readTextFile(cert)) + (await Deno.readTextFile(ca.caCert)),
  );
  const subject = (await openssl(["x509", "-in", cert, "-noout", "-subject", "-nameopt", "compat"]))
    .trim().replace(/^subject=/, "");
  await Deno.writeTextFile(ca.index, `V\t301231235959Z\t\t${serial}\tunknown\t${subject}\n`, {
    append: true,
  });
  return { chain, key, serial };
}

/** Marks a leaf revoked in the index (a restarted responder reads it). */
export async function revokeLeaf(ca: OcspCa, serial: string): Promise<void> {
  const text = await Deno.readTextFile(ca.index);
  await Deno.writeTextFile(
    ca.index,
    text.split("\n").map((line) => {
      const f = line.split("\t");
      return f[3] === serial ? ["R", f[1], "250101000000Z", ...f.slice(3)].join("\t") : line;
    }).join("\n"),
  );
}

/**
 * Runs `openssl ocsp` as the responder on `port` (openssl 3 binds every interface; the
 * tests only connect to 127.0.0.1); stop it with `stop()`.
 */
export async function startOcspResponder(
  ca: OcspCa,
  port: number,
): Promise<{ stop(): Promise<void> }> {
  const child = new Deno.Command("openssl", {
    args: [
      "ocsp",
      "-index",
      ca.index,
      "-port",
      String(port),
      "-rsigner",
      ca.caCert,
      "-rkey",
      ca.caKey,
      "-CA",
      ca.caCert,
      "-nmin",
      "5",
      "-ignore_err",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Readiness from its banner: a probe connection would wedge the one-at-a-time responder.
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let banner = "";
  const deadline = Date.now() + 10_000;
  while (!banner.includes("waiting for OCSP client connections") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    banner += decoder.decode(value, { stream: true });
  }
  const drained = (async () => {
    while (!(await reader.read()).done) {
      // discard
    }
  })();
  return {
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await drained;
    },
  };
}
