/**
 * The configuration files in force, swappable by a reload: the services hold these
 * views (an authorizer, approval rules, the retention classes), which always answer
 * from the configuration installed last. A reload installs a new `ConfigFiles` only
 * after it was read, verified and parsed in full, so no service ever sees half of one.
 */

import type { Authorizer } from "../access/guard.ts";
import type { Action, Role } from "../access/rbac.ts";
import type { ApprovalRules } from "../approvals/approval_policy.ts";
import type { ApprovableAction } from "../domain/approvals.ts";
import type { RetentionClasses } from "../retention/retention_classes.ts";
import type { ConfigFiles } from "../config/config_files.ts";

/** The live configuration and its views. */
export class LiveConfig {
  #files: ConfigFiles;

  constructor(files: ConfigFiles) {
    this.#files = files;
    const current = () => this.#files;
    this.approvalRules = {
      get ttlMs(): number {
        return current().approvalPolicy.ttlMs;
      },
      requires: (action: ApprovableAction) => current().approvalPolicy.requires(action),
      quorum: (action: string) => current().approvalPolicy.quorum(action),
    };
  }

  /** The files in force. */
  get files(): ConfigFiles {
    return this.#files;
  }

  /** Installs a newly loaded configuration. */
  replace(files: ConfigFiles): void {
    this.#files = files;
  }

  /** RBAC decisions from the matrix in force. */
  readonly authorizer: Authorizer = {
    allows: (roles: readonly Role[], action: Action) => this.#files.rbac.allows(roles, action),
  };

  /** Dual-control rules from the approval policy in force. */
  readonly approvalRules: ApprovalRules;

  /** The retention classes in force. */
  readonly retention = (): RetentionClasses => this.#files.retention;
}
