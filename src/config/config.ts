/**
 * Server configuration: command-line flags and `FERROHSM_*` environment variables
 * parsed once into one frozen, validated `Config`. Flags win over the environment.
 * This module only parses and validates; it reads no files (see `secrets.ts`).
 */

import { parseArgs } from "node:util";
import { isAbsolute, join, resolve } from "node:path";
import { HsmError } from "../domain/errors.ts";
import { isValidTimeZone } from "../policy/policy_context.ts";
import { parseStreamConfig, STREAM_FLAGS, type StreamConfig } from "./stream_config.ts";

/** Where key records live. */
export type KeyStoreKind = "memory" | "filesystem" | "sqlite" | "postgres";
/** Where the audit log lives. */
export type AuditStoreKind = "file" | "sqlite" | "postgres";
/** Where approvals live. */
export type ApprovalStoreKind = "memory" | "sqlite" | "postgres";

/** The validated server configuration. All paths are absolute. */
export interface Config extends StreamConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dev: boolean;
  readonly masterKeyFile?: string;
  readonly hmacKeyFile?: string;
  readonly jwtKeyset?: string;
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  readonly keyStore: KeyStoreKind;
  readonly sqlitePath: string;
  readonly auditStore: AuditStoreKind;
  readonly approvalStore: ApprovalStoreKind;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsClientCa?: string;
  readonly rateLimit: number;
  /** RBAC matrix file; the built-in default matrix when absent. */
  readonly rbacConfig?: string;
  /** Dual-control policy file (which actions need approval, quorum, expiry). */
  readonly approvalPolicy?: string;
  /** Sealed-key cache capacity (loaded keys held in memory). */
  readonly keyCacheSize: number;
  /** V8 old-space bound in MiB, passed by the launcher so RSS stays bounded. */
  readonly maxHeapMb: number;
  /** `/metrics` requires a bearer token granting `metrics:read` (default: open). */
  readonly metricsAuth: boolean;
  /** Per-role rate limits file; every role uses `rateLimit` when absent. */
  readonly rateLimitConfig?: string;
  /** API requests processed at the same time. */
  readonly maxConcurrent: number;
  /** API requests allowed to wait for a slot beyond `maxConcurrent` (0: none). */
  readonly maxQueue: number;
  /** Unix socket serving p11-kit's RPC protocol (PKCS#11); none when absent. */
  readonly pkcs11Socket?: string;
  /** Directory of token files for `file:` PKCS#11 PINs (default `<data-dir>/pkcs11-tokens`). */
  readonly pkcs11TokenDir?: string;
  /** The IANA zone of policy scripts' clock fields (`ctx.hour`, ...); default UTC. */
  readonly policyTimeZone: string;
  /** A policy script's deadline per evaluation, in ms (default 50). */
  readonly policyDeadlineMs: number;
  /** Retention classes file (YAML); the built-in classes when absent. */
  readonly retentionConfig?: string;
  /** Policy bundle file (JSON): policies managed as configuration. */
  readonly policyBundle?: string;
  /**
   * The operator's configuration public key (Ed25519 or P-256); when set, the RBAC
   * matrix, approval policy, retention classes and policy bundle must carry valid
   * detached signatures (`FILE.sig`).
   */
  readonly configPublicKey?: string;
  /** Dashboard session lifetime in seconds (absolute). */
  readonly uiSessionTtl: number;
  /** Dashboard session idle timeout in seconds. */
  readonly uiIdleTimeout: number;
  /** Certificate map file: mTLS client certificates that sign in to the dashboard. */
  readonly uiClientCerts?: string;
  /** The shared PostgreSQL database (every store `postgres`); see docs/scale-out.md. */
  readonly postgres?: PostgresConfig;
}

/** How the nodes of a cluster reach their shared PostgreSQL database. */
export interface PostgresConfig {
  /** `postgres://user@host:port/database` (no password: see `passwordFile`). */
  readonly url: string;
  /** The database password, read from this file. */
  readonly passwordFile?: string;
  /** PEM CA bundle: TLS to the database required and verified against it. */
  readonly caFile?: string;
  /** Destroy and import requests per actor and minute, enforced across the cluster. */
  readonly strictRateLimit: number;
  /** Seconds without a heartbeat after which a node counts as dead. */
  readonly nodeTimeout: number;
}

/** The flags of `ferrohsm serve`, with their types (each also `FERROHSM_<UPPER_SNAKE>`). */
export const SERVE_FLAGS = {
  "listen": { type: "string" },
  "data-dir": { type: "string" },
  "dev": { type: "boolean" },
  "master-key-file": { type: "string" },
  "hmac-key-file": { type: "string" },
  "jwt-keyset": { type: "string" },
  "jwt-issuer": { type: "string" },
  "jwt-audience": { type: "string" },
  "key-store": { type: "string" },
  "sqlite-path": { type: "string" },
  "audit-store": { type: "string" },
  "approval-store": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-client-ca": { type: "string" },
  "rate-limit": { type: "string" },
  "rbac-config": { type: "string" },
  "approval-policy": { type: "string" },
  "key-cache-size": { type: "string" },
  "max-heap-mb": { type: "string" },
  "metrics-auth": { type: "boolean" },
  "rate-limit-config": { type: "string" },
  "max-concurrent": { type: "string" },
  "max-queue": { type: "string" },
  "pkcs11-socket": { type: "string" },
  "pkcs11-token-dir": { type: "string" },
  "policy-time-zone": { type: "string" },
  "policy-deadline-ms": { type: "string" },
  "retention-config": { type: "string" },
  "policy-bundle": { type: "string" },
  "config-public-key": { type: "string" },
  "ui-session-ttl": { type: "string" },
  "ui-idle-timeout": { type: "string" },
  "ui-client-certs": { type: "string" },
  ...STREAM_FLAGS,
  "postgres-url": { type: "string" },
  "postgres-password-file": { type: "string" },
  "postgres-ca-file": { type: "string" },
  "strict-rate-limit": { type: "string" },
  "node-timeout": { type: "string" },
} as const;

type FlagName = keyof typeof SERVE_FLAGS;

/** `data-dir` → `FERROHSM_DATA_DIR`. */
export function envName(flag: string): string {
  return `FERROHSM_${flag.toUpperCase().replace(/-/g, "_")}`;
}

function invalid(message: string): HsmError {
  return new HsmError("invalid_request", message);
}

/**
 * Parses `serve` arguments and the environment into a Config.
 * @throws HsmError("invalid_request") with a message naming the bad flag
 */
export function parseServeConfig(
  args: readonly string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  cwd: string = Deno.cwd(),
): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options: SERVE_FLAGS, strict: true }).values;
  } catch (err) {
    throw invalid(err instanceof Error ? err.message : String(err));
  }
  const str = (flag: FlagName): string | undefined => {
    const v = values[flag];
    if (typeof v === "string") return v;
    const e = env(envName(flag));
    return e === undefined || e === "" ? undefined : e;
  };
  const bool = (flag: FlagName): boolean => {
    if (values[flag] === true) return true;
    const e = env(envName(flag));
    return e === "1" || e === "true" || e === "yes";
  };
  const path = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(cwd, p);
  const oneOf = <T extends string>(flag: FlagName, allowed: readonly T[], dflt: T): T => {
    const v = str(flag) ?? dflt;
    if (!(allowed as readonly string[]).includes(v)) {
      throw invalid(`Invalid --${flag} ${JSON.stringify(v)}: expected ${allowed.join(", ")}`);
    }
    return v as T;
  };
  const positiveInt = (flag: FlagName, dflt: number, min = 1): number => {
    const v = str(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      const expected = min === 0
        ? "a non-negative integer"
        : min === 1
        ? "a positive integer"
        : `an integer of at least ${min}`;
      throw invalid(`Invalid --${flag} ${JSON.stringify(v)}: expected ${expected}`);
    }
    return n;
  };

  const { host, port } = parseListen(str("listen") ?? "127.0.0.1:8443");
  const dataDir = path(str("data-dir") ?? "./data") as string;
  const tlsCert = path(str("tls-cert"));
  const tlsKey = path(str("tls-key"));
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw invalid("Cannot enable TLS: --tls-cert and --tls-key must be given together");
  }
  const tlsClientCa = path(str("tls-client-ca"));
  if (tlsClientCa !== undefined && tlsCert === undefined && str("acme-directory") === undefined) {
    throw invalid("Cannot require client certificates: --tls-client-ca needs --tls-cert or ACME");
  }
  const policyTimeZone = str("policy-time-zone") ?? "UTC";
  if (!isValidTimeZone(policyTimeZone)) {
    throw invalid(
      `Invalid --policy-time-zone ${JSON.stringify(policyTimeZone)}: expected an IANA zone`,
    );
  }
  const pkcs11Socket = path(str("pkcs11-socket"));
  if (pkcs11Socket?.includes(",")) {
    throw invalid("Invalid --pkcs11-socket: the path must not contain a comma");
  }
  const uiClientCerts = path(str("ui-client-certs"));
  if (uiClientCerts !== undefined && tlsClientCa === undefined) {
    throw invalid("Cannot enable certificate sign-in: --ui-client-certs needs --tls-client-ca");
  }
  const postgres = parsePostgres({
    url: str("postgres-url"),
    passwordFile: path(str("postgres-password-file")),
    caFile: path(str("postgres-ca-file")),
    strictRateLimit: positiveInt("strict-rate-limit", 60),
    nodeTimeout: positiveInt("node-timeout", 15),
    stores: [str("key-store"), str("audit-store"), str("approval-store")],
  });
  const config: Config = {
    host,
    port,
    dataDir,
    dev: bool("dev"),
    keyStore: oneOf(
      "key-store",
      ["memory", "filesystem", "sqlite", "postgres"] as const,
      "sqlite",
    ),
    sqlitePath: path(str("sqlite-path")) ?? join(dataDir, "ferrohsm.db"),
    auditStore: oneOf("audit-store", ["file", "sqlite", "postgres"] as const, "sqlite"),
    approvalStore: oneOf("approval-store", ["memory", "sqlite", "postgres"] as const, "sqlite"),
    rateLimit: positiveInt("rate-limit", 100),
    keyCacheSize: positiveInt("key-cache-size", 4096),
    maxHeapMb: positiveInt("max-heap-mb", 320, 64),
    metricsAuth: bool("metrics-auth"),
    maxConcurrent: positiveInt("max-concurrent", 256),
    maxQueue: positiveInt("max-queue", 1024, 0),
    policyTimeZone,
    policyDeadlineMs: positiveInt("policy-deadline-ms", 50),
    uiSessionTtl: positiveInt("ui-session-ttl", 3600, 60),
    uiIdleTimeout: positiveInt("ui-idle-timeout", 900, 30),
    ...optional("masterKeyFile", path(str("master-key-file"))),
    ...optional("hmacKeyFile", path(str("hmac-key-file"))),
    ...optional("jwtKeyset", path(str("jwt-keyset"))),
    ...optional("jwtIssuer", str("jwt-issuer")),
    ...optional("jwtAudience", str("jwt-audience")),
    ...optional("tlsCert", tlsCert),
    ...optional("tlsKey", tlsKey),
    ...optional("tlsClientCa", tlsClientCa),
    ...optional("rbacConfig", path(str("rbac-config"))),
    ...optional("rateLimitConfig", path(str("rate-limit-config"))),
    ...optional("approvalPolicy", path(str("approval-policy"))),
    ...optional("pkcs11Socket", pkcs11Socket),
    ...optional("pkcs11TokenDir", path(str("pkcs11-token-dir"))),
    ...optional("retentionConfig", path(str("retention-config"))),
    ...optional("policyBundle", path(str("policy-bundle"))),
    ...optional("configPublicKey", path(str("config-public-key"))),
    ...optional("uiClientCerts", uiClientCerts),
    ...parseStreamConfig(str, path, { tlsCert, listenHost: host }),
    ...optional("postgres", postgres),
  };
  return Object.freeze(config);
}

/**
 * The PostgreSQL settings, when any store is `postgres`: then all three must be (a node
 * with a local store would not share it), the URL is required, and it must not carry a
 * password (process listings and logs show URLs; use the password file).
 */
function parsePostgres(input: {
  readonly url: string | undefined;
  readonly passwordFile: string | undefined;
  readonly caFile: string | undefined;
  readonly strictRateLimit: number;
  readonly nodeTimeout: number;
  readonly stores: readonly (string | undefined)[];
}): PostgresConfig | undefined {
  const shared = input.stores.filter((s) => s === "postgres").length;
  if (shared === 0) {
    if (input.url !== undefined) {
      throw invalid("Cannot use --postgres-url: no store is postgres");
    }
    return undefined;
  }
  if (shared !== input.stores.length) {
    throw invalid(
      "Cannot share the stores: --key-store, --audit-store and --approval-store must all be postgres",
    );
  }
  if (input.url === undefined) {
    throw invalid("Cannot open the postgres stores: --postgres-url is required");
  }
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw invalid("Invalid --postgres-url: expected postgres://user@host:port/database");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw invalid("Invalid --postgres-url: expected postgres://user@host:port/database");
  }
  if (url.password !== "") {
    throw invalid("Invalid --postgres-url: put the password in --postgres-password-file");
  }
  if (url.hostname === "" || url.username === "") {
    throw invalid("Invalid --postgres-url: the host and user are required");
  }
  return {
    url: input.url,
    strictRateLimit: input.strictRateLimit,
    nodeTimeout: input.nodeTimeout,
    ...optional("passwordFile", input.passwordFile),
    ...optional("caFile", input.caFile),
  };
}

/** The database host and port of a PostgreSQL URL (default port 5432), for permissions. */
export function postgresAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  return { host, port: parsed.port === "" ? 5432 : Number(parsed.port) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Parses `HOST:PORT` (IPv6 as `[::1]:PORT`). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw invalid(`Invalid --listen ${JSON.stringify(text)}: expected HOST:PORT`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}
