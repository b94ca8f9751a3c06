/**
 * The `/healthz` document and the checks behind it and `/readyz`: each store answers a
 * read, the audit log can be written (its file opens for writing, its folder takes a new
 * file, and no audit batch has failed since the last check without one succeeding), and
 * the power-up self-test passed.
 *
 * The checks run at most once a second (`HealthProbe`, shared by concurrent callers), so
 * the open health routes cost the stores nothing under a flood. Anonymous callers get
 * `{status, uptime_s}` only; with a token of any role the report adds the figures
 * operators watch (audit head, caches, rate limiters, concurrency, keyset, per-store
 * probes, audit sinks, the TLS certificate and its OCSP status), which would otherwise
 * tell an anonymous scanner about keys, limits and peers.
 */

import { dirname, join } from "node:path";
import type { Config } from "../config/config.ts";
import { auditPaths } from "./audit_files.ts";
import type { Services } from "./services.ts";

/** Reachability of one store, as /healthz reports it. */
export interface StoreProbe {
  readonly kind: string;
  readonly ok: boolean;
  readonly latency_ms: number;
}

/** The outcome of one round of health checks. */
export interface HealthCheck {
  /** Every store answered, the audit log is writable and the self-test passed. */
  readonly ok: boolean;
  readonly stores: Readonly<Record<string, StoreProbe>>;
  readonly auditWritable: boolean;
}

/** The health document (`status` "ok" or "degraded"). */
export type HealthReport = Record<string, unknown> & { status: string };

/** How long one round of checks is reused. */
export const HEALTH_CHECK_TTL_MS = 1000;

/** Runs the health checks at most once per `ttlMs`; never throws. */
export class HealthProbe {
  readonly #services: Services;
  readonly #config: Config;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  #last: { at: number; check: Promise<HealthCheck> } | undefined;
  #auditSeen = { failures: 0, batches: 0 };

  constructor(
    services: Services,
    config: Config,
    options: { ttlMs?: number; clock?: () => number } = {},
  ) {
    this.#services = services;
    this.#config = config;
    this.#ttlMs = options.ttlMs ?? HEALTH_CHECK_TTL_MS;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** The latest checks, run afresh when the cached ones are older than the TTL. */
  check(): Promise<HealthCheck> {
    const now = this.#clock();
    const last = this.#last;
    if (last !== undefined && now - last.at < this.#ttlMs && now >= last.at) return last.check;
    const check = this.#run();
    this.#last = { at: now, check };
    return check;
  }

  async #run(): Promise<HealthCheck> {
    const [stores, auditWritable] = await Promise.all([
      probeStores(this.#services, this.#config),
      this.#auditWritable(),
    ]);
    const ok = this.#services.selfTest.ok && auditWritable &&
      Object.values(stores).every((p) => p.ok);
    return { ok, stores, auditWritable };
  }

  async #auditWritable(): Promise<boolean> {
    // Batches that failed since the last check, with none succeeding, mean the log is
    // not being written whatever the file system says (full disk, I/O errors).
    const { failures, batches } = this.#services.auditLog.stats();
    const failing = failures > this.#auditSeen.failures && batches === this.#auditSeen.batches;
    this.#auditSeen = { failures, batches };
    if (failing) return false;
    return await auditPathWritable(this.#config);
  }
}

/** Checks that each store answers a read; never throws. */
export async function probeStores(
  services: Services,
  config: Config,
): Promise<Record<string, StoreProbe>> {
  const { stores } = services;
  const [key, audit, approval] = await Promise.all([
    probe(config.keyStore, () => stores.keys.get("health-probe")),
    probe(config.auditStore, () => stores.audit.last()),
    probe(config.approvalStore, () => stores.approvals.get("health-probe")),
  ]);
  return { key, audit, approval };
}

/**
 * True when the audit log's file opens for writing (without changing it) and its folder
 * accepts a new file (written, then removed); never throws.
 */
export async function auditPathWritable(config: Config): Promise<boolean> {
  const paths = auditPaths(config.dataDir, config.sqlitePath);
  const file = config.auditStore === "file"
    ? paths.logFile
    : config.sqlitePath === ":memory:"
    ? undefined
    : paths.sqliteFile;
  try {
    if (file !== undefined) (await Deno.open(file, { write: true })).close();
    const probeFile = join(
      file === undefined ? paths.dir : dirname(file),
      `.write-probe-${Deno.pid}`,
    );
    await Deno.writeFile(probeFile, new Uint8Array(1), { mode: 0o600 });
    await Deno.remove(probeFile);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the health document from `check`: status and uptime for everyone, the operator
 * figures only when `detailed` (the caller presented a valid token).
 */
export function healthReport(
  services: Services,
  check: HealthCheck,
  started: number,
  detailed: boolean,
): HealthReport {
  const status = check.ok ? "ok" : "degraded";
  const uptime_s = Math.floor((Date.now() - started) / 1000);
  if (!detailed) return { status, uptime_s };
  return {
    status,
    uptime_s,
    self_test: services.selfTest.ok ? "passed" : "failed",
    audit_writable: check.auditWritable,
    audit_head_seq: services.auditLog.head().seq,
    key_cache: services.loader.stats(),
    rate_limiter: {
      actor: services.limits.actor.stats(),
      ip: services.limits.ip.stats(),
    },
    load_shed: services.limits.shed.stats(),
    list_cache: services.listCache.stats(),
    keyset: services.keyring.status(),
    stores: check.stores,
    audit_sinks: services.auditSinks.stats().map((f) => ({
      id: f.id,
      kind: f.kind,
      cursor: f.cursor,
      lag: f.lag,
      connected: f.connected,
      failures: f.failures,
      ...(f.lastError === undefined ? {} : { last_error: f.lastError }),
    })),
    ...(services.tls === undefined ? {} : { tls: services.tls.health() }),
  };
}

async function probe(kind: string, read: () => Promise<unknown>): Promise<StoreProbe> {
  const start = performance.now();
  let ok = true;
  try {
    await read();
  } catch {
    ok = false;
  }
  return { kind, ok, latency_ms: Math.round((performance.now() - start) * 100) / 100 };
}
