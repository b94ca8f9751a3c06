/**
 * In-memory PolicyStore for tests and `--key-store memory` runs: every version of every
 * policy in a map, lost when the process exits. Records are deep-copied on the way in
 * and out, and each method checks and writes without an `await` in between, so the
 * version check is race-free in one JavaScript thread.
 */

import { HsmError } from "../../domain/errors.ts";
import type { PolicyVersionRecord } from "../../domain/policies.ts";
import type { PolicyStore } from "../ports.ts";
import { assertPolicyVersion, compareByCreation, copyPolicyVersion } from "../records.ts";
import { checkNextPolicyVersion } from "../policy_versions.ts";

/** A PolicyStore held in process memory. */
export class MemoryPolicyStore implements PolicyStore {
  #policies = new Map<string, PolicyVersionRecord[]>();
  #closed = false;

  /** Adds a version (1 creates; n + 1 follows the latest). */
  put(record: PolicyVersionRecord): Promise<void> {
    return this.#run(() => {
      assertPolicyVersion(record);
      const versions = this.#policies.get(record.id);
      checkNextPolicyVersion(versions?.at(-1)?.version, record);
      if (versions === undefined) this.#policies.set(record.id, [copyPolicyVersion(record)]);
      else versions.push(copyPolicyVersion(record));
    });
  }

  /** The latest version, or undefined. */
  latest(id: string): Promise<PolicyVersionRecord | undefined> {
    return this.#run(() => {
      const last = this.#policies.get(id)?.at(-1);
      return last && copyPolicyVersion(last);
    });
  }

  /** One version, or undefined. */
  version(id: string, version: number): Promise<PolicyVersionRecord | undefined> {
    return this.#run(() => {
      const found = this.#policies.get(id)?.find((p) => p.version === version);
      return found && copyPolicyVersion(found);
    });
  }

  /** Every version, ascending. */
  versions(id: string): Promise<PolicyVersionRecord[]> {
    return this.#run(() => (this.#policies.get(id) ?? []).map(copyPolicyVersion));
  }

  /** The latest version of every policy, by creation time then id. */
  list(): Promise<PolicyVersionRecord[]> {
    return this.#run(() => {
      const latest = [...this.#policies.values()].map((v) => v[v.length - 1]);
      return (latest as PolicyVersionRecord[]).sort(compareByCreation).map(copyPolicyVersion);
    });
  }

  /** Marks the store closed; later calls fail with `unavailable`. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #run<T>(step: () => T): Promise<T> {
    try {
      if (this.#closed) throw new HsmError("unavailable", "Policy store is closed");
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
