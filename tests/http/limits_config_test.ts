import assert from "node:assert/strict";
import { join } from "node:path";
import { isHsmError } from "../../src/domain/errors.ts";
import { parseServeConfig } from "../../src/config/config.ts";
import { loadServerConfig } from "../../src/config/config_files.ts";
import {
  createHttpLimits,
  IP_RATE_FACTOR,
  parseRateLimitConfig,
} from "../../src/http/limits_config.ts";

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseRateLimitConfig(text, "limits.json"),
    (err: unknown) => isHsmError(err, "invalid_request") && pattern.test(err.message),
  );
}

Deno.test("a rate-limit config gives per-role limits with burst defaulting to twice the rate", () => {
  const limits = parseRateLimitConfig(
    JSON.stringify({
      description: "production",
      roles: { Service: { rps: 1000, burst: 2000 }, Auditor: { rps: 5 } },
    }),
  );
  assert.deepEqual(limits, {
    Service: { rps: 1000, burst: 2000 },
    Auditor: { rps: 5, burst: 10 },
  });
});

Deno.test("a rate-limit config is refused when it names an unknown role", () => {
  rejects('{"roles": {"Root": {"rps": 1}}}', /limits\.json: unknown role "Root"/);
  rejects('{"roles": {"__proto__": {"rps": 1}}}', /unknown role "__proto__"/);
});

Deno.test("a rate-limit config is refused when a limit or field is invalid", () => {
  rejects("not json", /not valid JSON/);
  rejects('{"roles": {"Service": {"rps": 0}}}', /roles\.Service\.rps/);
  rejects('{"roles": {"Service": {"rps": "fast"}}}', /roles\.Service\.rps/);
  rejects('{"roles": {"Service": {"rps": 1, "burst": 0.5}}}', /roles\.Service\.burst/);
  rejects('{"roles": {"Service": {"rps": 1, "extra": 1}}}', /roles\.Service/);
  rejects('{"roles": {}, "default": 3}', /limits\.json/);
  rejects("[]", /limits\.json/);
});

Deno.test("limiters are built from the config flags and the per-role file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "limits.json");
    await Deno.writeTextFile(file, '{"roles": {"Service": {"rps": 50}}}');
    const config = parseServeConfig(
      ["--rate-limit", "3", "--max-concurrent", "7", "--max-queue", "0"].concat(
        "--rate-limit-config",
        file,
      ),
      () => undefined,
      dir,
    );
    const { files } = await loadServerConfig(config);
    const limits = createHttpLimits(config, files.roleRateLimits);
    assert.deepEqual(limits.actor.limitFor([]), { rps: 3, burst: 6 });
    assert.deepEqual(limits.actor.limitFor(["Service"]), { rps: 50, burst: 100 });
    assert.deepEqual(limits.ip.limitFor([]), {
      rps: 3 * IP_RATE_FACTOR,
      burst: 6 * IP_RATE_FACTOR,
    });
    assert.equal(limits.shed.stats().maxConcurrent, 7);
    assert.equal(limits.shed.stats().maxQueue, 0);
    await assert.rejects(
      loadServerConfig({ ...config, rateLimitConfig: join(dir, "missing.json") }),
      (err: unknown) =>
        isHsmError(err, "invalid_request") && /Cannot read rate-limit config/.test(err.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("concurrency flags default to 256 running and 1024 queued", () => {
  const config = parseServeConfig([], () => undefined, "/tmp");
  assert.equal(config.maxConcurrent, 256);
  assert.equal(config.maxQueue, 1024);
  const env = parseServeConfig(
    [],
    (n) => ({ FERROHSM_MAX_CONCURRENT: "8", FERROHSM_MAX_QUEUE: "0" })[n],
    "/tmp",
  );
  assert.equal(env.maxConcurrent, 8);
  assert.equal(env.maxQueue, 0);
  assert.throws(() => parseServeConfig(["--max-concurrent", "0"], () => undefined, "/tmp"));
  assert.throws(() => parseServeConfig(["--max-queue", "-1"], () => undefined, "/tmp"));
});
