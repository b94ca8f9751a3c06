/**
 * The configuration files the server reads — the RBAC matrix, the dual-control policy,
 * the per-role rate limits, the retention classes, the policy bundle, the dashboard's
 * certificate map and the audit sinks — parsed and validated into one frozen
 * `ServerConfig` beside the flags. Services receive the parsed objects; files are read
 * again only by a deliberate reload (SIGHUP), which goes through the same checks and
 * keeps the last good configuration when they fail (the reload installs the RBAC
 * matrix, approval policy, retention classes and policy bundle; the rest keep their
 * start-up values).
 *
 * Signed configuration: with `--config-public-key`, each of the RBAC matrix, approval
 * policy, retention classes and policy bundle that is configured must have a detached
 * signature `FILE.sig` by that key over the very bytes parsed here (see
 * `config_signature.ts`); an unsigned or badly signed file is refused (start-up exits 2).
 * The built-in defaults used when no file is named need no signature. The rate-limit,
 * certificate-map and audit-sinks files are not covered.
 */

import { parseRbacPolicy, RbacPolicy } from "../access/rbac.ts";
import { ApprovalPolicy, parseApprovalPolicy } from "../approvals/approval_policy.ts";
import { fromUtf8 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import { loadRateLimitConfig, type RoleRateLimits } from "../http/limits_config.ts";
import { parsePolicyBundle } from "../policy/policy_bundle.ts";
import type { PolicyRecord } from "../policy/policy_types.ts";
import { parseRetentionClasses, RetentionClasses } from "../retention/retention_classes.ts";
import { type CertificateMap, loadCertificateMap } from "../http/ui_certificates.ts";
import type { AuditSinkSpec } from "../audit/sinks/audit_sinks.ts";
import { loadAuditSinksFile, mergeSinks } from "./audit_sinks_file.ts";
import type { Config } from "./config.ts";
import { type ConfigKey, importConfigKey, verifyConfigSignature } from "./config_signature.ts";

/** The parsed configuration files. */
export interface ConfigFiles {
  /** `--rbac-config`, or the built-in matrix. */
  readonly rbac: RbacPolicy;
  /** `--approval-policy`, or the built-in policy (destruction and activation only). */
  readonly approvalPolicy: ApprovalPolicy;
  /** `--rate-limit-config`, or none (every role uses `--rate-limit`). */
  readonly roleRateLimits: RoleRateLimits;
  /** `--retention-config`, or the built-in classes. */
  readonly retention: RetentionClasses;
  /** `--policy-bundle`, or none. */
  readonly policyBundle: readonly PolicyRecord[];
  /** Which files were checked against `--config-public-key` (paths). */
  readonly signed: readonly string[];
  /** `--ui-client-certs`, or an empty map (no certificate sign-in). */
  readonly uiCertificates: CertificateMap;
  /** Every audit sink: the flags' and `--audit-sinks-config`'s. */
  readonly auditSinks: readonly AuditSinkSpec[];
}

/** The flags and the files they name, validated, frozen. */
export interface ServerConfig extends Config {
  readonly files: ConfigFiles;
}

/**
 * Reads and validates every configuration file `config` names.
 * @throws HsmError("invalid_request") naming the file and the problem
 */
export async function loadServerConfig(config: Config): Promise<ServerConfig> {
  return Object.freeze({ ...config, files: await loadConfigFiles(config) });
}

/**
 * Reads, checks (signatures first) and parses the configuration files.
 * @throws HsmError("invalid_request") naming the file and the problem
 */
export async function loadConfigFiles(config: Config): Promise<ConfigFiles> {
  const key = config.configPublicKey === undefined ? undefined : await importConfigKey(
    await readText(config.configPublicKey, "configuration public key"),
    "verify",
  );
  const signed: string[] = [];
  const read = async (path: string | undefined, what: string): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    const bytes = await readBytes(path, what);
    if (key !== undefined) {
      await verifySigned(path, bytes, key);
      signed.push(path);
    }
    return fromUtf8(bytes);
  };
  const [
    rbacText,
    approvalText,
    retentionText,
    bundleText,
    roleRateLimits,
    uiCertificates,
    sinksFile,
  ] = await Promise.all([
    read(config.rbacConfig, "RBAC policy"),
    read(config.approvalPolicy, "approval policy"),
    read(config.retentionConfig, "retention classes"),
    read(config.policyBundle, "policy bundle"),
    loadRateLimitConfig(config.rateLimitConfig),
    loadCertificateMap(config.uiClientCerts),
    loadAuditSinksFile(config.auditSinksConfig),
  ]);
  const auditSinks = Object.freeze(mergeSinks(config.auditSinks, sinksFile));
  return Object.freeze({
    rbac: rbacText === undefined
      ? RbacPolicy.default()
      : parseRbacPolicy(rbacText, config.rbacConfig),
    approvalPolicy: approvalText === undefined
      ? new ApprovalPolicy()
      : parseApprovalPolicy(approvalText, config.approvalPolicy),
    roleRateLimits,
    retention: retentionText === undefined
      ? RetentionClasses.default()
      : parseRetentionClasses(retentionText, config.retentionConfig),
    policyBundle: Object.freeze(
      bundleText === undefined ? [] : parsePolicyBundle(bundleText, config.policyBundle),
    ),
    signed: Object.freeze(signed),
    uiCertificates,
    auditSinks,
  });
}

async function verifySigned(path: string, bytes: Uint8Array, key: ConfigKey): Promise<void> {
  let signature: string | undefined;
  try {
    signature = await Deno.readTextFile(`${path}.sig`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new HsmError("invalid_request", `Cannot read ${path}.sig: ${describe(err)}`);
    }
  }
  await verifyConfigSignature(bytes, signature, key, path);
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new HsmError("invalid_request", `Cannot read the ${what} ${path}: ${describe(err)}`);
  }
}

async function readText(path: string, what: string): Promise<string> {
  return fromUtf8(await readBytes(path, what));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.name : "error";
}
