/** The PostgreSQL flags of `serve`: all three stores shared, a password-free URL, defaults. */

import assert from "node:assert/strict";
import { parseServeConfig, postgresAddress } from "../../src/config/config.ts";
import { isHsmError } from "../../src/domain/errors.ts";

const STORES = [
  "--key-store",
  "postgres",
  "--audit-store",
  "postgres",
  "--approval-store",
  "postgres",
];

function parse(args: string[], env: Record<string, string> = {}) {
  return parseServeConfig(args, (name) => env[name], "/");
}

function refused(args: string[], env: Record<string, string> = {}): string {
  try {
    parse(args, env);
  } catch (err) {
    assert.ok(isHsmError(err, "invalid_request"));
    return err.message;
  }
  assert.fail("expected the configuration to be refused");
}

Deno.test("postgres stores take the URL from the flag or FERROHSM_POSTGRES_URL", () => {
  const url = "postgres://ferrohsm@db.internal:6432/hsm";
  const fromFlag = parse([...STORES, "--postgres-url", url, "--postgres-password-file", "pw"]);
  assert.deepEqual(fromFlag.postgres, {
    url,
    passwordFile: "/pw",
    strictRateLimit: 60,
    nodeTimeout: 15,
  });
  const fromEnv = parse(STORES, {
    FERROHSM_POSTGRES_URL: url,
    FERROHSM_POSTGRES_CA_FILE: "/etc/ca.pem",
    FERROHSM_NODE_TIMEOUT: "5",
  });
  assert.equal(fromEnv.postgres?.url, url);
  assert.equal(fromEnv.postgres?.caFile, "/etc/ca.pem");
  assert.equal(fromEnv.postgres?.nodeTimeout, 5);
  assert.equal(fromEnv.keyStore, "postgres");
  assert.equal(parse([]).postgres, undefined);
});

Deno.test("postgres stores are all or nothing and need a URL without a password", () => {
  assert.match(
    refused(["--key-store", "postgres", "--postgres-url", "postgres://u@h/d"]),
    /must all be postgres/,
  );
  assert.match(refused(STORES), /--postgres-url is required/);
  assert.match(
    refused([...STORES, "--postgres-url", "postgres://u:secret@h/d"]),
    /--postgres-password-file/,
  );
  assert.match(refused([...STORES, "--postgres-url", "mysql://u@h/d"]), /Invalid --postgres-url/);
  assert.match(refused([...STORES, "--postgres-url", "postgres://h/d"]), /host and user/);
  assert.match(refused(["--postgres-url", "postgres://u@h/d"]), /no store is postgres/);
});

Deno.test("the database address defaults to port 5432 and unwraps IPv6 hosts", () => {
  assert.deepEqual(postgresAddress("postgres://u@db/x"), { host: "db", port: 5432 });
  assert.deepEqual(postgresAddress("postgres://u@[::1]:6543/x"), { host: "::1", port: 6543 });
});
