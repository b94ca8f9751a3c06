import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { loadCertificateMap, parseCertificateMap } from "../../src/http/ui_certificates.ts";

const T1 = "A".repeat(43);
const T2 = "b_-".repeat(14) + "c";

Deno.test("a certificate map names who each listed certificate signs in as", () => {
  const map = parseCertificateMap(JSON.stringify({
    version: 1,
    certificates: [
      { "x5t#S256": T1, sub: "alice", roles: ["Administrator"] },
      { "x5t#S256": T2, sub: "audit-bot", roles: ["Auditor", "Operator"] },
    ],
  }));
  assert.equal(map.size, 2);
  assert.deepEqual(map.lookup(T1), { sub: "alice", roles: ["Administrator"] });
  assert.deepEqual(map.lookup(T2)?.roles, ["Auditor", "Operator"]);
  assert.equal(map.lookup("Z".repeat(43)), undefined);
  assert.equal(map.lookup(undefined), undefined);
});

Deno.test("a certificate map fails closed on Service, unknown roles, duplicates and bad shapes", () => {
  const bad: [unknown, RegExp][] = [
    [
      { version: 1, certificates: [{ "x5t#S256": T1, sub: "s", roles: ["Service"] }] },
      /Service cannot sign in/,
    ],
    [
      { version: 1, certificates: [{ "x5t#S256": T1, sub: "s", roles: ["Root"] }] },
      /unknown role "Root"/,
    ],
    [{
      version: 1,
      certificates: [
        { "x5t#S256": T1, sub: "a", roles: ["Auditor"] },
        { "x5t#S256": T1, sub: "b", roles: ["Auditor"] },
      ],
    }, /duplicate thumbprint/],
    [
      { version: 1, certificates: [{ "x5t#S256": "short", sub: "a", roles: ["Auditor"] }] },
      /thumbprint/,
    ],
    [{ version: 1, certificates: [{ "x5t#S256": T1, sub: "a", roles: [] }] }, /roles/],
    [{ version: 1, certificates: [{ "x5t#S256": T1, sub: "a", roles: ["Auditor"], x: 1 }] }, /x/],
    [{ version: 2, certificates: [] }, /version/],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => parseCertificateMap(JSON.stringify(value), "map.json"),
      (err: unknown) =>
        isHsmError(err, "invalid_request") && message.test(err.message) &&
        err.message.includes("map.json"),
      JSON.stringify(value),
    );
  }
  assert.throws(() => parseCertificateMap("{", "m"), /not valid JSON/);
});

Deno.test("no map file means no certificate sign-in; an unreadable one is an error", async () => {
  assert.equal((await loadCertificateMap()).size, 0);
  await assert.rejects(loadCertificateMap("/nonexistent/ferrohsm-map.json"), /Cannot read/);
});
