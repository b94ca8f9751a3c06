/**
 * Least-privilege Deno permissions for the server, derived from its Config: read and
 * write only the data dir and the files the operator named (and, under signed
 * configuration, their `.sig` files), listen only on the configured address (and the
 * private socket behind it in the data dir), read only `FERROHSM_*` variables, load only
 * the libSQL native addon, and run only the deno binary itself (the permission-less
 * policy sandbox children); with the PostgreSQL stores, connect to the database's host
 * and port only and read libpq's `PG*` variables (the driver consults them for unset
 * options). The launcher passes these flags to `deno run main.ts serve`.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, postgresAddress } from "../config/config.ts";
import { streamPermissions } from "./stream_permissions.ts";
import { httpSocketPath } from "../server/socket_path.ts";

/** The project root (where `main.ts`, `migrations/` and `node_modules/` live). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Variables the libSQL loader reads at import time. */
const LIBSQL_ENV = ["LIBSQL_JS_DEV"];

/** Debug switches the `yaml` parser reads while parsing (retention classes). */
const YAML_ENV = ["LOG_TOKENS", "LOG_STREAM"];

/** Host facts the libSQL loader queries (glibc detection via process.report). */
const LIBSQL_SYS = ["cpus", "networkInterfaces", "hostname"];

/** Finds the libSQL native addon for this platform under node_modules. */
export function libsqlAddonPath(root = PROJECT_ROOT): string | undefined {
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const pkg = `${Deno.build.os === "darwin" ? "darwin" : "linux"}-${arch}${
    Deno.build.os === "linux" ? "-gnu" : ""
  }`;
  // The release folder (scripts/release.ts) ships the addon package directly under
  // node_modules/, where the bundle's require() finds it.
  const hoisted = join(root, "node_modules", "@libsql", pkg);
  try {
    if (Deno.lstatSync(hoisted).isDirectory) return join(hoisted, "index.node");
  } catch {
    // not a release folder
  }
  const base = join(root, "node_modules", ".deno");
  try {
    for (const entry of Deno.readDirSync(base)) {
      if (entry.name.startsWith(`@libsql+${pkg}@`)) {
        return join(base, entry.name, "node_modules", "@libsql", pkg, "index.node");
      }
    }
  } catch {
    // no node_modules yet: deno installs it on first run
  }
  return undefined;
}

/** True when any store of the config is backed by libSQL. */
export function usesSqlite(config: Config): boolean {
  return config.keyStore === "sqlite" || config.auditStore === "sqlite" ||
    config.approvalStore === "sqlite";
}

/**
 * The `deno run` flags for serving `config`: the derived permissions, plus the V8 heap
 * bound (`--max-heap-mb`) that keeps memory bounded whatever the load.
 */
export function servePermissions(
  config: Config,
  root = PROJECT_ROOT,
  denoPath = Deno.execPath(),
): string[] {
  const read = new Set<string>([
    config.dataDir,
    join(root, "migrations"),
    join(root, "static"),
    // The crypto offload workers load their module graph at run time: from source the
    // core, the domain and the noble packages (code, no secrets); in a release one bundle.
    join(root, "src", "core"),
    join(root, "src", "domain"),
    join(root, "node_modules"),
    join(root, "offload_worker.js"),
  ]);
  if (config.auditStore === "sqlite" || config.keyStore === "sqlite") {
    // The SQLite writer threads' module (audit batches; key creations), from source or
    // beside the release bundle.
    read.add(join(root, "src", "storage", "sqlite", "audit_writer_worker.ts"));
    read.add(join(root, "audit_writer_worker.js"));
  }
  const write = new Set<string>([config.dataDir]);
  for (
    const file of [
      config.masterKeyFile,
      config.hmacKeyFile,
      config.jwtKeyset,
      config.tlsCert,
      config.tlsKey,
      config.tlsClientCa,
      config.rbacConfig,
      config.rateLimitConfig,
      config.approvalPolicy,
      config.retentionConfig,
      config.policyBundle,
      config.configPublicKey,
      config.uiClientCerts,
    ]
  ) {
    if (file !== undefined) read.add(file);
  }
  if (config.configPublicKey !== undefined) {
    // Detached signatures of the signed configuration files.
    for (
      const file of [
        config.rbacConfig,
        config.approvalPolicy,
        config.retentionConfig,
        config.policyBundle,
      ]
    ) {
      if (file !== undefined) read.add(`${file}.sig`);
    }
  }
  const databases: string[] = [];
  if (config.postgres !== undefined) {
    for (const file of [config.postgres.passwordFile, config.postgres.caFile]) {
      if (file !== undefined) read.add(file);
    }
    const db = postgresAddress(config.postgres.url);
    databases.push(`${db.host.includes(":") ? `[${db.host}]` : db.host}:${db.port}`);
  }
  if (config.pkcs11Socket !== undefined) {
    // Listening on a unix socket: read/write of the socket, a look at its directory.
    read.add(dirname(config.pkcs11Socket)).add(config.pkcs11Socket);
    write.add(config.pkcs11Socket);
    if (config.pkcs11TokenDir !== undefined) read.add(config.pkcs11TokenDir);
  }
  // Audit sinks, ACME and OCSP: their peers, CA files and the ACME cache.
  const stream = streamPermissions(config);
  for (const p of stream.read) read.add(p);
  for (const p of stream.write) write.add(p);
  if (usesSqlite(config)) {
    // WAL mode creates -wal and -shm files beside the database.
    read.add(dirname(config.sqlitePath));
    write.add(dirname(config.sqlitePath));
  }
  // The libSQL client is imported (and its loader runs) at start-up whatever the stores,
  // so its narrow grants are always needed: one env name, three host facts, one addon.
  const env = [
    "FERROHSM_*",
    ...LIBSQL_ENV,
    ...YAML_ENV,
    ...(config.postgres === undefined ? [] : ["PG*"]),
  ];
  const addon = libsqlAddonPath(root);
  // A bundle resolves the addon with require(), which reads node_modules/ itself.
  if (addon !== undefined && dirname(dirname(dirname(addon))) === join(root, "node_modules")) {
    read.add(join(root, "node_modules"));
  }
  const flags = [
    addon === undefined ? "--allow-ffi" : `--allow-ffi=${addon}`,
    `--allow-sys=${LIBSQL_SYS.join(",")}`,
    // Policy scripts run in children of this very binary, started without permissions.
    `--allow-run=${denoPath}`,
  ];
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  // The listen address, and (without mutual TLS) the private socket of the TCP front.
  const net = [`${host}:${config.port}`];
  if (config.tlsClientCa === undefined) net.push(`unix:${httpSocketPath(config.dataDir)}`);
  flags.unshift(
    "--no-prompt",
    `--allow-read=${[...read].join(",")}`,
    `--allow-write=${[...write].join(",")}`,
    `--allow-net=${
      [
        ...net,
        ...databases,
        ...stream.net,
        ...(config.pkcs11Socket === undefined ? [] : [`unix:${config.pkcs11Socket}`]),
      ].join(",")
    }`,
    stream.allEnv ? "--allow-env" : `--allow-env=${env.join(",")}`,
    `--v8-flags=--max-old-space-size=${config.maxHeapMb}`,
  );
  return flags;
}
