/**
 * The configuration files the server reads once at start-up — the RBAC matrix, the
 * dual-control policy, the per-role rate limits, the dashboard's certificate map and the
 * audit sinks — parsed and validated into one
 * frozen `ServerConfig` beside the flags. Services receive the parsed objects; nothing
 * reads a configuration file again while serving.
 */

import { loadRbacPolicy, type RbacPolicy } from "../access/rbac.ts";
import { type ApprovalPolicy, loadApprovalPolicy } from "../approvals/approval_policy.ts";
import { loadRateLimitConfig, type RoleRateLimits } from "../http/limits_config.ts";
import { type CertificateMap, loadCertificateMap } from "../http/ui_certificates.ts";
import type { AuditSinkSpec } from "../audit/sinks/audit_sinks.ts";
import { loadAuditSinksFile, mergeSinks } from "./audit_sinks_file.ts";
import type { Config } from "./config.ts";

/** The parsed configuration files. */
export interface ConfigFiles {
  /** `--rbac-config`, or the built-in matrix. */
  readonly rbac: RbacPolicy;
  /** `--approval-policy`, or the built-in policy (destruction and activation only). */
  readonly approvalPolicy: ApprovalPolicy;
  /** `--rate-limit-config`, or none (every role uses `--rate-limit`). */
  readonly roleRateLimits: RoleRateLimits;
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
  const [rbac, approvalPolicy, roleRateLimits, uiCertificates, sinksFile] = await Promise.all([
    loadRbacPolicy(config.rbacConfig),
    loadApprovalPolicy(config.approvalPolicy),
    loadRateLimitConfig(config.rateLimitConfig),
    loadCertificateMap(config.uiClientCerts),
    loadAuditSinksFile(config.auditSinksConfig),
  ]);
  const auditSinks = Object.freeze(mergeSinks(config.auditSinks, sinksFile));
  return Object.freeze({
    ...config,
    files: Object.freeze({ rbac, approvalPolicy, roleRateLimits, uiCertificates, auditSinks }),
  });
}
