/**
 * scripts/sbom.ts: CycloneDX 1.5 from deno.lock — every locked npm package is a
 * component with its purl and integrity hash, runtime reachability decides the scope,
 * other platforms' addons are excluded, and the output is deterministic.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cycloneDxFromLock,
  type DenoLock,
  integrityHashes,
  npmPurl,
  parseLockId,
} from "../../scripts/sbom.ts";
import { ROOT } from "../../scripts/release.ts";

const LINUX_X64 = { os: "linux", cpu: "x64" };

const LOCK: DenoLock = {
  version: "5",
  npm: {
    "app-lib@1.0.0": {
      integrity: "sha512-" + btoa("\x01".repeat(64)),
      dependencies: ["helper", "native@2.0.0"],
    },
    "helper@3.1.4": { integrity: "sha512-" + btoa("\x02".repeat(64)) },
    "native@2.0.0": {
      integrity: "sha512-" + btoa("\x03".repeat(64)),
      optionalDependencies: ["@n/linux-x64-gnu", "@n/linux-x64-musl", "@n/darwin-arm64"],
    },
    "@n/linux-x64-gnu@2.0.0": { integrity: "sha512-AA==", os: ["linux"], cpu: ["x64"] },
    "@n/linux-x64-musl@2.0.0": { integrity: "sha512-AA==", os: ["linux"], cpu: ["x64"] },
    "@n/darwin-arm64@2.0.0": { integrity: "sha512-AA==", os: ["darwin"], cpu: ["arm64"] },
    "build-tool@9.9.9_app-lib@1.0.0": {
      integrity: "sha512-" + btoa("\x04".repeat(64)),
      dependencies: ["app-lib"],
    },
  },
};

Deno.test("lock ids split into name and version, peers dropped", () => {
  assert.deepEqual(parseLockId("hono@4.13.19"), { name: "hono", version: "4.13.19" });
  assert.deepEqual(parseLockId("@hono/zod-validator@0.9.1_hono@4.13.19_zod@4.6.7"), {
    name: "@hono/zod-validator",
    version: "0.9.1",
  });
  assert.throws(() => parseLockId("nameonly"), RangeError);
});

Deno.test("purls percent-encode the npm scope", () => {
  assert.equal(npmPurl("@libsql/client", "0.18.0"), "pkg:npm/%40libsql/client@0.18.0");
  assert.equal(npmPurl("jose", "6.2.18"), "pkg:npm/jose@6.2.18");
});

Deno.test("SRI integrity becomes hex CycloneDX hashes; unknown algorithms are skipped", () => {
  assert.deepEqual(integrityHashes("sha512-AQID"), [{ alg: "SHA-512", content: "010203" }]);
  assert.deepEqual(integrityHashes("md5-AQID"), []);
  assert.deepEqual(integrityHashes(undefined), []);
});

Deno.test("runtime packages are required, tools and unshipped addons excluded", async () => {
  const bom = await cycloneDxFromLock(LOCK, {
    version: "1.2.3",
    epoch: 1_700_000_000,
    runtimeRoots: ["app-lib@1.0.0"],
    platform: LINUX_X64,
    shippedOptional: ["@n/linux-x64-gnu"],
  });
  const scope = Object.fromEntries(bom.components.map((c) => [c.purl, c.scope]));
  assert.deepEqual(scope, {
    "pkg:npm/%40n/darwin-arm64@2.0.0": "excluded",
    "pkg:npm/%40n/linux-x64-gnu@2.0.0": "required",
    "pkg:npm/%40n/linux-x64-musl@2.0.0": "excluded",
    "pkg:npm/app-lib@1.0.0": "required",
    "pkg:npm/build-tool@9.9.9": "excluded",
    "pkg:npm/helper@3.1.4": "required",
    "pkg:npm/native@2.0.0": "required",
  });
  assert.equal(bom.bomFormat, "CycloneDX");
  assert.equal(bom.specVersion, "1.5");
  assert.equal(bom.metadata.timestamp, "2023-11-14T22:13:20Z");
  assert.match(
    bom.serialNumber,
    /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-/,
  );
  const helper = bom.components.find((c) => c.name === "helper");
  assert.deepEqual(helper?.hashes, [{ alg: "SHA-512", content: "02".repeat(64) }]);
  const scoped = bom.components.find((c) => c.purl === "pkg:npm/%40n/linux-x64-gnu@2.0.0");
  assert.equal(scoped?.group, "@n");
  assert.equal(scoped?.name, "linux-x64-gnu");
  const app = bom.dependencies.find((d) => d.ref === "pkg:npm/app-lib@1.0.0");
  assert.deepEqual(app?.dependsOn, ["pkg:npm/helper@3.1.4", "pkg:npm/native@2.0.0"]);
});

Deno.test("the SBOM is a pure function of its inputs", async () => {
  const options = { version: "1", epoch: 0, runtimeRoots: ["app-lib@1.0.0"], platform: LINUX_X64 };
  assert.equal(
    JSON.stringify(await cycloneDxFromLock(LOCK, options)),
    JSON.stringify(await cycloneDxFromLock(LOCK, options)),
  );
  const other = await cycloneDxFromLock(LOCK, { ...options, version: "2" });
  assert.notEqual(other.serialNumber, (await cycloneDxFromLock(LOCK, options)).serialNumber);
});

Deno.test("every npm package of the project's deno.lock is a component with a SHA-512", async () => {
  const lock = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.lock"))) as DenoLock;
  const bom = await cycloneDxFromLock(lock, {
    version: "0.0.0-test",
    epoch: 0,
    runtimeRoots: [],
    platform: LINUX_X64,
  });
  const purls = new Set(bom.components.map((c) => c.purl));
  for (const id of Object.keys(lock.npm ?? {})) {
    const { name, version } = parseLockId(id);
    assert.ok(purls.has(npmPurl(name, version)), id);
  }
  for (const c of bom.components) {
    assert.equal(c.hashes?.[0]?.alg, "SHA-512", c.purl);
    assert.match(c.hashes?.[0]?.content ?? "", /^[0-9a-f]{128}$/);
  }
});
