/**
 * The composition root of the server: turns a Config into running services. Order
 * matters and each step fails closed: root secrets → power-up self-tests → key check
 * values → stores → audit log → services → HTTP listener. Nothing is served before
 * every step has passed.
 */

import { join } from "node:path";
import { loadApprovalPolicy } from "./approvals/approval_policy.ts";
import { ApprovalService } from "./approvals/approval_service.ts";
import { AuditLog } from "./audit/audit_log.ts";
import { FileAnchorStore } from "./audit/anchor.ts";
import { AuditService } from "./audit/audit_service.ts";
import { deriveAuditMacKey } from "./audit/chain.ts";
import { auditPaths } from "./audit/verify.ts";
import { JwksKeyring } from "./auth/jwks.ts";
import { JwtVerifier } from "./auth/jwt.ts";
import { loadRbacPolicy, type RbacPolicy, type Role } from "./auth/rbac.ts";
import { generateDevKeyset, mintToken } from "./auth/token_mint.ts";
import type { Config } from "./config/config.ts";
import {
  devPaths,
  ensureDevSecrets,
  readCheckValues,
  readRootSecret,
  writeCheckValues,
} from "./config/secrets.ts";
import { isHsmError } from "./core/errors.ts";
import { RootKeys } from "./core/master_key.ts";
import { Sealer } from "./core/sealing.ts";
import { runSelfTests, type SelfTestReport } from "./core/self_test.ts";
import { wipe } from "./core/zeroize.ts";
import type { Hono } from "hono";
import { createApp } from "./http/app.ts";
import { httpMetrics, observeAuthFailures } from "./http/metrics_middleware.ts";
import { type HttpLimits, loadHttpLimits } from "./http/limits_config.ts";
import { serveMutualTls } from "./http/node_server.ts";
import type { AppEnv } from "./http/context.ts";
import { CryptoService } from "./keys/crypto_service.ts";
import { Guard } from "./keys/guard.ts";
import { KeyLoader } from "./keys/key_loader.ts";
import { KeyService } from "./keys/key_service.ts";
import { ListCache } from "./keys/list_cache.ts";
import { FerroHsmMetrics } from "./metrics/ferrohsm_metrics.ts";
import { EXIT, StartupError } from "./cli/startup_error.ts";
import { FileAuditStore } from "./storage/file/audit_store.ts";
import { FileKeyStore } from "./storage/file/key_store.ts";
import { MemoryApprovalStore } from "./storage/memory/approval_store.ts";
import { MemoryKeyStore } from "./storage/memory/key_store.ts";
import type { ApprovalStore, AuditStore, KeyStore } from "./storage/ports.ts";
import { SqliteApprovalStore } from "./storage/sqlite/approval_store.ts";
import { SqliteAuditStore } from "./storage/sqlite/audit_store.ts";
import { AuditWriterThread } from "./storage/sqlite/audit_writer.ts";
import { type Database, openDatabase } from "./storage/sqlite/database.ts";
import { SqliteKeyStore } from "./storage/sqlite/key_store.ts";
import { type Logger, printLine } from "./util/logger.ts";
import { approvalsRoutes } from "../routes/approvals.ts";
import { auditRoutes } from "../routes/audit.ts";
import { cryptoOpsRoutes } from "../routes/crypto_ops.ts";
import { healthRoutes } from "../routes/health.ts";
import { keysRoutes } from "../routes/keys.ts";
import { metricsRoutes } from "../routes/metrics.ts";
import { openapiRoutes } from "../routes/openapi.ts";
import { exists } from "./util/fs.ts";
import { type Pkcs11Server, startPkcs11Server } from "./pkcs11/start.ts";

/** A running server. */
export interface RunningServer {
  /** The bound address, e.g. `http://127.0.0.1:8443`. */
  readonly url: string;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting requests, drains, flushes the audit log and closes stores. */
  shutdown(): Promise<void>;
}

/** Everything the HTTP layer and the CLI need, wired from a Config. */
export interface Services {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly approvals: ApprovalService;
  readonly audit: AuditService;
  readonly auditLog: AuditLog;
  readonly loader: KeyLoader;
  readonly listCache: ListCache;
  readonly verifier: JwtVerifier;
  readonly keyring: JwksKeyring;
  readonly selfTest: SelfTestReport;
  /** The metric set served at /metrics. */
  readonly metrics: FerroHsmMetrics;
  /** The RBAC policy (for checks outside a guarded operation, e.g. /metrics). */
  readonly rbac: RbacPolicy;
  /** Rate limiters and the concurrency bound (their stats appear in /healthz). */
  readonly limits: HttpLimits;
  /** Checks that each store answers a read; never throws. */
  probeStores(): Promise<Record<string, StoreProbe>>;
  close(): Promise<void>;
}

/** Reachability of one store, as /healthz reports it. */
export interface StoreProbe {
  readonly kind: string;
  readonly ok: boolean;
  readonly latency_ms: number;
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

async function loadRootSecrets(config: Config, log: Logger) {
  let masterFile = config.masterKeyFile;
  let hmacFile = config.hmacKeyFile;
  if (masterFile === undefined || hmacFile === undefined) {
    if (!config.dev) {
      throw new StartupError(
        EXIT.usage,
        "Cannot start: --master-key-file and --hmac-key-file are required (or use --dev)",
      );
    }
    const dev = await ensureDevSecrets(config.dataDir);
    masterFile ??= dev.masterKey;
    hmacFile ??= dev.hmacKey;
    log.log("warn", "DEV MODE: using generated root secrets; never use --dev in production", {
      dir: devPaths(config.dataDir).dir,
    });
  }
  try {
    return {
      master: await readRootSecret(masterFile, "master key"),
      hmac: await readRootSecret(hmacFile, "HMAC key"),
    };
  } catch (err) {
    throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
  }
}

async function resolveKeyset(config: Config): Promise<{ path: string; devToken?: string }> {
  if (config.jwtKeyset !== undefined) return { path: config.jwtKeyset };
  if (!config.dev) {
    throw new StartupError(EXIT.usage, "Cannot start: --jwt-keyset is required (or use --dev)");
  }
  const path = devPaths(config.dataDir).keyset;
  if (!(await exists(path))) {
    await Deno.mkdir(devPaths(config.dataDir).dir, { recursive: true, mode: 0o700 });
    const { jwks } = generateDevKeyset();
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    try {
      await file.write(new TextEncoder().encode(JSON.stringify(jwks, null, 2) + "\n"));
      await file.sync();
    } finally {
      file.close();
    }
  }
  const devToken = await mintToken(path, {
    sub: "dev-admin",
    roles: ["Administrator"],
    ttl: 300,
    ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
  });
  return { path, devToken };
}

async function checkRootKeys(config: Config, keys: RootKeys): Promise<void> {
  const stored = await readCheckValues(config.dataDir);
  if (stored === undefined) {
    await writeCheckValues(config.dataDir, keys.checkValues);
    return;
  }
  try {
    keys.assertMatches(stored);
  } catch (err) {
    if (isHsmError(err, "integrity_error")) {
      throw new StartupError(EXIT.wrongMasterKey, err.message);
    }
    throw err;
  }
}

/** Adapters a caller may supply instead of the configured ones (tests, benchmarks). */
export interface ServiceOverrides {
  readonly auditStore?: AuditStore;
}

/** Builds every service from `config` (no listener). Caller must `close()`. */
export async function buildServices(
  config: Config,
  log: Logger,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const secrets = await loadRootSecrets(config, log);
  const selfTest = await runSelfTests();
  if (!selfTest.ok) {
    wipe(secrets.master, secrets.hmac);
    const failed = selfTest.results.filter((r) => !r.ok).map((r) => r.name).join(", ");
    throw new StartupError(EXIT.selfTest, `Power-up self-test failed: ${failed}`);
  }
  const auditMacKey = await deriveAuditMacKey(secrets.hmac);
  const rootKeys = await RootKeys.derive(secrets.master, secrets.hmac); // wipes both
  await checkRootKeys(config, rootKeys);

  const closers: (() => Promise<void> | void)[] = [];
  try {
    let database: Database | undefined;
    const db = async () => {
      if (database === undefined) {
        database = await openDatabase(config.sqlitePath);
        closers.push(() => database?.close());
      }
      return database;
    };
    const keyStore: KeyStore = config.keyStore === "memory"
      ? new MemoryKeyStore()
      : config.keyStore === "filesystem"
      ? await FileKeyStore.open(join(config.dataDir, "keys"))
      : new SqliteKeyStore(await db());
    closers.unshift(() => keyStore.close());
    const paths = auditPaths(config.dataDir, config.sqlitePath);
    await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const auditStore: AuditStore = overrides.auditStore ??
      (config.auditStore === "file"
        ? await FileAuditStore.open(paths.logFile)
        : new SqliteAuditStore(await db(), {
          // Commit audit batches on their own thread and connection (not for :memory:,
          // which a second connection cannot see).
          ...(config.sqlitePath === ":memory:"
            ? {}
            : { writer: await AuditWriterThread.start(config.sqlitePath) }),
        }));
    closers.unshift(() => auditStore.close());
    const anchor = new FileAnchorStore(
      config.auditStore === "file" ? paths.fileAnchor : paths.sqliteAnchor,
    );
    const approvalStore: ApprovalStore = config.approvalStore === "memory"
      ? new MemoryApprovalStore()
      : new SqliteApprovalStore(await db());
    closers.unshift(() => approvalStore.close());

    const metrics = new FerroHsmMetrics();
    const auditLog = await AuditLog.open(auditStore, auditMacKey, {
      anchor,
      onBatch: (size, latencyMs) => metrics.auditBatch(size, latencyMs / 1000),
    });
    const keysetInfo = await resolveKeyset(config);
    const keyring = await JwksKeyring.open(keysetInfo.path);
    const verifier = new JwtVerifier(keyring, {
      ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
      ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
    });
    let rbac;
    try {
      rbac = await loadRbacPolicy(config.rbacConfig);
    } catch (err) {
      throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
    }
    let limits;
    try {
      limits = await loadHttpLimits(config);
    } catch (err) {
      throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
    }
    const guard = new Guard(auditLog, rbac);
    const sealer = new Sealer(rootKeys);
    const loader = new KeyLoader(keyStore, sealer, config.keyCacheSize);
    closers.unshift(() => loader.clear());
    const listCache = new ListCache();
    const keys = new KeyService({ store: keyStore, sealer, loader, guard, listCache });
    let approvalPolicy;
    try {
      approvalPolicy = await loadApprovalPolicy(config.approvalPolicy);
    } catch (err) {
      throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
    }
    const approvals = new ApprovalService({ store: approvalStore, guard, policy: approvalPolicy });
    approvals.register("key.destroy", (a) => keys.executeDestroy(a.keyId as string));
    approvals.register("key.activate", (a) => keys.activate(a.keyId as string));
    approvals.register("key.rotate", (a) => keys.executeRotate(a.keyId as string));
    approvals.register(
      "key.rollback",
      (a) => keys.executeRollback(a.keyId as string, Number(a.params.version)),
    );
    keys.useApprovals(approvals);
    const cryptoService = new CryptoService(keys, loader, guard, {
      onOperation: (algorithm, operation, result) => metrics.cryptoOp(algorithm, operation, result),
    });
    const audit = new AuditService(auditStore, guard, auditMacKey, anchor);
    metrics.setSources({
      caches: {
        key: () => loader.stats(),
        list: () => {
          const s = listCache.stats();
          return { ...s, capacity: s.maxEntries };
        },
        jwt: () => ({ ...verifier.cacheStats, size: verifier.cacheSize }),
      },
      audit: () => {
        const s = auditLog.stats();
        return {
          headSeq: auditLog.head().seq,
          failures: s.failures,
          anchorFailures: s.anchorFailures,
          pending: s.pending,
        };
      },
      approvalsByState: () => approvals.countByState(),
      selfTestPassed: () => selfTest.ok,
      rateLimited: {
        ip: () => limits.ip.stats().limited,
        actor: () => limits.actor.stats().limited,
      },
      concurrency: () => limits.shed.stats(),
    });

    if (keysetInfo.devToken !== undefined) {
      printLine("WARNING: --dev mode: generated secrets and keyset; do not use in production");
      printLine(`Administrator token (valid 5 minutes): ${keysetInfo.devToken}`);
      printLine(
        `Mint more: deno task cli token mint --keyset ${keysetInfo.path} --sub NAME --roles Administrator`,
      );
    }
    return {
      keys,
      crypto: cryptoService,
      approvals,
      audit,
      auditLog,
      loader,
      listCache,
      verifier,
      keyring,
      selfTest,
      metrics,
      rbac,
      limits,
      async probeStores() {
        const [key, audit, approval] = await Promise.all([
          probe(config.keyStore, () => keyStore.get("health-probe")),
          probe(config.auditStore, () => auditStore.last()),
          probe(config.approvalStore, () => approvalStore.get("health-probe")),
        ]);
        return { key, audit, approval };
      },
      async close() {
        await auditLog.close();
        for (const close of closers) await close();
      },
    };
  } catch (err) {
    for (const close of closers) await Promise.resolve(close()).catch(() => {});
    throw err;
  }
}

/** The answer to any request while the server is still starting. */
function startingResponse(req: Request, started: number): Response {
  const path = new URL(req.url).pathname;
  const body = path === "/readyz" || path === "/healthz"
    ? { status: "starting", uptime_s: Math.floor((Date.now() - started) / 1000) }
    : { error: { code: "unavailable", message: "Server is starting" } };
  return Response.json(body, { status: 503, headers: { "Retry-After": "1" } });
}

/** Builds the HTTP application over `services`; `ready` reports readiness. */
export function buildApp(
  services: Services,
  config: Config,
  ready: () => boolean,
  started = Date.now(),
): Hono<AppEnv> {
  const authenticator = observeAuthFailures(
    services.verifier,
    (reason) => services.metrics.jwtFailure(reason),
  );
  return createApp({
    authenticator,
    metrics: httpMetrics(services.metrics),
    limits: services.limits,
    api: [
      ["/keys", keysRoutes(services.keys, services.crypto)],
      ["/keys", cryptoOpsRoutes(services.crypto)],
      ["/approvals", approvalsRoutes(services.approvals)],
      ["/audit", auditRoutes(services.audit)],
    ],
    open: [
      healthRoutes({
        ready,
        report: async () => {
          const stores = await services.probeStores();
          const healthy = services.selfTest.ok && Object.values(stores).every((p) => p.ok);
          return {
            status: healthy ? "ok" : "degraded",
            uptime_s: Math.floor((Date.now() - started) / 1000),
            self_test: services.selfTest.ok ? "passed" : "failed",
            audit_head_seq: services.auditLog.head().seq,
            key_cache: services.loader.stats(),
            rate_limiter: {
              actor: services.limits.actor.stats(),
              ip: services.limits.ip.stats(),
            },
            load_shed: services.limits.shed.stats(),
            list_cache: services.listCache.stats(),
            keyset: services.keyring.status(),
            stores,
          };
        },
      }),
      metricsRoutes({
        render: () => services.metrics.render(),
        auth: config.metricsAuth
          ? {
            authenticator,
            allows: (roles, action) => services.rbac.allows(roles as readonly Role[], action),
          }
          : undefined,
      }),
      openapiRoutes(),
    ],
  });
}

/** A bound listener: Deno.serve, or node:https when client certificates are required. */
interface Listener {
  readonly url: string;
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** A request handler given the runtime's connection info as Hono `env`. */
type Handler = (req: Request, env: unknown) => Response | Promise<Response>;

async function readTls(
  config: Config,
): Promise<{ cert: string; key: string; clientCa?: string } | undefined> {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const cert = await Deno.readTextFile(config.tlsCert);
  const key = await Deno.readTextFile(config.tlsKey);
  if (config.tlsClientCa === undefined) return { cert, key };
  const clientCa = await Deno.readTextFile(config.tlsClientCa);
  if (!clientCa.includes("-----BEGIN CERTIFICATE-----")) {
    throw new StartupError(
      EXIT.usage,
      `Cannot start: --tls-client-ca ${config.tlsClientCa} holds no PEM certificate`,
    );
  }
  return { cert, key, clientCa };
}

async function listen(config: Config, handler: Handler): Promise<Listener> {
  const tls = await readTls(config);
  if (tls?.clientCa !== undefined) {
    // Deno.serve cannot ask for client certificates; node:https can.
    return await serveMutualTls({
      hostname: config.host,
      port: config.port,
      cert: tls.cert,
      key: tls.key,
      clientCa: tls.clientCa,
    }, handler);
  }
  const scheme = tls === undefined ? "http" : "https";
  let url = "";
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    ...(tls ?? {}),
    onListen: ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      url = `${scheme}://${host}:${port}`;
    },
  }, handler);
  return {
    get url() {
      return url;
    },
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}

/**
 * Starts the server. It listens at once so `/readyz` can say `starting` (503) while the
 * self-tests, key checks and stores come up; every other request answers 503 until
 * then. With `--tls-client-ca` it listens through node:https and requires a client
 * certificate from that CA. The caller announces `listening on <url>` once this
 * resolves (ready).
 */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  let ready = false;
  const serving: { app?: Hono<AppEnv> } = {};
  const started = Date.now();
  const server = await listen(
    config,
    (req, env) => serving.app?.fetch(req, env) ?? startingResponse(req, started),
  );
  let services: Services;
  let pkcs11: Pkcs11Server | undefined;
  try {
    services = await buildServices(config, log);
    pkcs11 = await startPkcs11Server(services, config, log).catch(async (err) => {
      await services.close();
      throw err;
    });
  } catch (err) {
    await server.shutdown();
    throw err;
  }
  serving.app = buildApp(services, config, () => ready, started);
  ready = true;
  log.log("info", "server started", {
    url: server.url,
    key_store: config.keyStore,
    ...(config.tlsClientCa === undefined ? {} : { client_certificates: "required" }),
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    finished: server.finished,
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        await server.shutdown();
        await pkcs11?.close();
        await services.close();
      })();
      return stopping;
    },
  };
}
