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
    async close() {
      await t.services.close();
      await inst.cleanup();
    },
  };
  return t;
}
