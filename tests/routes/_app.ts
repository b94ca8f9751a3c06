/**
 * In-process app for route tests that need to reach inside (a failing audit store):
 * the real services and Hono app from the composition root, driven with `app.request`.
 * Every answer is checked against the contract (`tests/contract/_conformance.ts`).
 */

import type { Hono } from "hono";
import { parseServeConfig } from "../../src/config/config.ts";
import { loadServerConfig } from "../../src/config/config_files.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { buildApp } from "../../src/server/app.ts";
import { buildServices, type ServiceOverrides, type Services } from "../../src/server/services.ts";
import type { Logger } from "../../src/util/logger.ts";
import { assertConforms } from "../contract/_conformance.ts";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import { type ApiResponse, jsonRequest, readResponse } from "../../testing/server_process.ts";

const quiet: Logger = { log() {} };

/** A running in-process app over a fresh installation. */
export interface TestApp {
  app: Hono<AppEnv>;
  services: Services;
  readonly inst: Installation;
  /** JSON request helper. */
  call(
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse>;
  /** Closes the services and builds them again over the same data dir (a restart). */
  reopen(): Promise<void>;
  /**
   * Builds the services again without closing the running ones first, as a new process
   * would after a crash (no clean-stop marker in the audit log).
   */
  crash(): Promise<void>;
  /** Closes the services (a clean stop), keeping the installation on disk. */
  shutdown(): Promise<void>;
  /** Closes the services and deletes the installation. */
  close(): Promise<void>;
}

/** Builds the app in-process with the given extra flags and adapter overrides. */
export async function makeTestApp(
  extraFlags: string[] = [],
  overrides: ServiceOverrides = {},
): Promise<TestApp> {
  const inst = await makeInstallation();
  const config = await loadServerConfig(parseServeConfig(inst.flags(extraFlags), () => undefined));
  const services = await buildServices(config, quiet, overrides);
  const crashed: Services[] = [];
  const t: TestApp = {
    app: buildApp(services, config, () => true),
    services,
    inst,
    async call(token, method, path, body) {
      const res = await readResponse(await t.app.request(path, jsonRequest(method, token, body)));
      assertConforms(method, path, res.status, res.body);
      return res;
    },
    async reopen() {
      await t.services.close();
      t.services = await buildServices(config, quiet, overrides);
      t.app = buildApp(t.services, config, () => true);
    },
    async crash() {
      crashed.push(t.services);
      t.services = await buildServices(config, quiet, overrides);
      t.app = buildApp(t.services, config, () => true);
    },
    async shutdown() {
      for (const old of crashed.splice(0)) await old.close().catch(() => undefined);
      await t.services.close();
    },
    async close() {
      await t.shutdown();
      await inst.cleanup();
    },
  };
  return t;
}
