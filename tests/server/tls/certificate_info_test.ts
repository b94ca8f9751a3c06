import assert from "node:assert/strict";
import {
  CertificateError,
  inspectCertificate,
  pemCertificates,
} from "../../../src/server/tls/certificate_info.ts";
import { hasOpenssl } from "../../../testing/pki.ts";
import { issueLeaf, makeOcspCa } from "../../../testing/ocsp_pki.ts";

Deno.test({
  name: "a chain and its key are inspected; a foreign key or an empty file is refused",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-cert-" });
    try {
      const ca = await makeOcspCa(dir, "http://127.0.0.1:9/ocsp");
      const a = await issueLeaf(ca, "a");
      const b = await issueLeaf(ca, "b");
      const chain = await Deno.readTextFile(a.chain);
      const cert = inspectCertificate(chain, await Deno.readTextFile(a.key));
      assert.equal(pemCertificates(chain).length, 2);
      assert.equal(cert.serial, a.serial);
      assert.equal(cert.ocspUrl, "http://127.0.0.1:9/ocsp");
      assert.equal(cert.issuer?.subject, "CN=FerroHSM test OCSP CA");
      assert.ok(cert.notAfter.getTime() > Date.now());
      assert.throws(() => inspectCertificate(chain, "not a key"), CertificateError);
      assert.throws(
        () => inspectCertificate(chain, Deno.readTextFileSync(b.key)),
        /Private key does not match the certificate/,
      );
      assert.throws(() => inspectCertificate("", "x"), /holds no PEM certificate/);
      const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
      assert.throws(() => inspectCertificate(broken, "x"), /malformed certificate/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
