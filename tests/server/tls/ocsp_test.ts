import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { inspectCertificate } from "../../../src/server/tls/certificate_info.ts";
import { OcspError, ocspRequest, parseOcspResponse } from "../../../src/server/tls/ocsp.ts";
import { OcspMonitor } from "../../../src/server/tls/ocsp_monitor.ts";
import { hasOpenssl } from "../../../testing/pki.ts";
import {
  issueLeaf,
  makeOcspCa,
  revokeLeaf,
  startOcspResponder,
} from "../../../testing/ocsp_pki.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function serving(chain: string, key: string) {
  return inspectCertificate(await Deno.readTextFile(chain), await Deno.readTextFile(key));
}

Deno.test({
  name: "the OCSP monitor reads good, then revoked, from an openssl ocsp responder",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-ocsp-" });
    const port = freePort();
    const ca = await makeOcspCa(dir, `http://127.0.0.1:${port}/`);
    const leaf = await issueLeaf(ca, "server");
    const cert = await serving(leaf.chain, leaf.key);
    assert.equal(cert.ocspUrl, `http://127.0.0.1:${port}/`);
    let responder = await startOcspResponder(ca, port);
    const monitor = new OcspMonitor({ intervalMs: 3_600_000 });
    try {
      monitor.follow(cert);
      await monitor.refresh();
      const good = monitor.status();
      assert.equal(good.status, "good", JSON.stringify(good));
      assert.ok(good.nextUpdate !== undefined && Date.parse(good.nextUpdate) > Date.now());
      await responder.stop();
      await revokeLeaf(ca, leaf.serial);
      responder = await startOcspResponder(ca, port);
      await monitor.refresh();
      assert.equal(monitor.status().status, "revoked");
      const failuresBefore = monitor.status().failures;
      await responder.stop();
      await monitor.refresh();
      const down = monitor.status();
      // The cached answer stays while fresh; the failure is counted and named.
      assert.equal(down.status, "revoked");
      assert.equal(down.failures, failuresBefore + 1);
      assert.equal(typeof down.lastError, "string");
    } finally {
      await monitor.close();
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "an OCSP response signed by another CA or for another certificate is refused",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-ocsp-" });
    const port = freePort();
    const ca = await makeOcspCa(dir, `http://127.0.0.1:${port}/`);
    const a = await serving(
      ...Object.values(await issueLeaf(ca, "a")).slice(0, 2) as [string, string],
    );
    const b = await serving(
      ...Object.values(await issueLeaf(ca, "b")).slice(0, 2) as [string, string],
    );
    const responder = await startOcspResponder(ca, port);
    try {
      const issuer = a.issuer as X509Certificate;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { "Content-Type": "application/ocsp-request" },
        body: ocspRequest(a.leaf, issuer).slice(),
      });
      const der = new Uint8Array(await res.arrayBuffer());
      assert.equal(parseOcspResponse(der, a.leaf, issuer).status, "good");
      assert.throws(() => parseOcspResponse(der, b.leaf, issuer), OcspError);
      // Change one digit of producedAt (GeneralizedTime, tag 0x18 length 15): the signed data.
      const flipped = der.slice();
      const time = flipped.findIndex((b, i) => b === 0x18 && flipped[i + 1] === 0x0f);
      assert.ok(time > 0);
      flipped[time + 15] = (flipped[time + 15] as number) ^ 1;
      assert.throws(() => parseOcspResponse(flipped, a.leaf, issuer), OcspError);
      const other = await makeOcspCa(await Deno.makeTempDir({ dir }), "http://127.0.0.1:1/");
      const otherCa = new X509Certificate(await Deno.readTextFile(other.caCert));
      assert.throws(() => parseOcspResponse(der, a.leaf, otherCa), OcspError);
      assert.throws(() => parseOcspResponse(der.subarray(0, 20), a.leaf, issuer), OcspError);
    } finally {
      await responder.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a certificate without an OCSP URL or issuer reads none",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-ocsp-" });
    const ca = await makeOcspCa(dir, "http://127.0.0.1:1/");
    const leaf = await issueLeaf(ca, "solo");
    const leafOnly = (await Deno.readTextFile(leaf.chain)).split(
      /(?=-----BEGIN CERTIFICATE)/,
    )[0] as string;
    const monitor = new OcspMonitor({ intervalMs: 1000 });
    try {
      monitor.follow(inspectCertificate(leafOnly, await Deno.readTextFile(leaf.key)));
      await monitor.refresh();
      assert.deepEqual(monitor.status(), { status: "none", failures: 0 });
    } finally {
      await monitor.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
