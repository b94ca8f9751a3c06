/**
 * Makes the JWT keyset's state visible: a failed reload (malformed file, invalid key,
 * unreadable or deleted file) keeps the last good keyset, so it must be loud. Each
 * failure is logged at error level, and three metrics follow the keyring:
 * `ferrohsm_jwks_keys` (keys trusted now; 0 after an emptied keyset),
 * `ferrohsm_jwks_stale` (1 while the file on disk is not what is loaded) and
 * `ferrohsm_jwks_reload_failures_total`. Authenticated `/healthz` shows the same state
 * (`keyset.stale`, `keyset.lastError`). Never any key material.
 */

import type { KeyringStatus } from "../auth/jwks.ts";
import type { FerroHsmMetrics } from "../metrics/ferrohsm_metrics.ts";
import type { Logger } from "../util/logger.ts";

/** The `onReloadError` callback for the keyring: logs each failed reload. */
export function logKeysetReloadFailure(log: Logger, source: string): (message: string) => void {
  return (message) =>
    log.log("error", "JWT keyset reload failed; still trusting the last good keyset", {
      keyset: source,
      error: message,
    });
}

/** Registers the keyset metrics, read from `status` at scrape time. */
export function registerKeysetMetrics(
  metrics: FerroHsmMetrics,
  status: () => KeyringStatus,
): void {
  const r = metrics.registry;
  r.gauge({
    name: "ferrohsm_jwks_keys",
    help: "Keys of the JWT keyset trusted now (0: every token is refused)",
    collect: () => status().kids.length,
  });
  r.gauge({
    name: "ferrohsm_jwks_stale",
    help: "1 while the last reload of the JWT keyset file failed and the last good keyset is used",
    collect: () => (status().stale ? 1 : 0),
  });
  r.counter({
    name: "ferrohsm_jwks_reload_failures_total",
    help: "Failed reloads of the JWT keyset file (malformed, invalid, unreadable or deleted)",
    collect: () => status().reloadFailures,
  });
}
