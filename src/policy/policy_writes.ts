/**
 * The writes of stored policies, and their loading into the engine. Like key
 * transitions, each write builds the next MAC'd version, runs the caller's commit point
 * (the audit entry that journals the new version, see `audit/record_journal.ts`), and
 * only then writes the store and changes the engine, so no policy changes unaudited. The
 * versions of one policy change one at a time in this process.
 *
 * Loading checks every latest version's MAC, that its digest is its script's, and that
 * it is the version the audit log last committed; a policy the log committed but the
 * store lost (a deleted row that would silently lift a restriction) refuses the load,
 * unless its creation was cut short by a crash. Any failure is `integrity_error`.
 *
 * Several nodes sharing one store: `refresh` (called when another node announces a policy
 * change) reloads every policy through the same checks, catching the journal up with the
 * other node's audit entries first; when a check fails, the engine keeps what it holds
 * (a policy is never dropped on a row that does not check out). Refreshes and this
 * process's writes are serialized, so neither undoes the other.
 */

import { type RecordJournal, refOf } from "../audit/record_journal.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { HsmError } from "../domain/errors.ts";
import { policyJournalRecord, type PolicyVersionRecord } from "../domain/policies.ts";
import type { PolicyStore } from "../storage/ports.ts";
import { KeyLocks } from "../util/keyed_locks.ts";
import { createPolicyRecord, policyDigest, type PolicyEngine } from "./policy_engine.ts";
import { parsePolicyScope, type PolicyRecord, type PolicyScope } from "./policy_types.ts";

/** MACs and checks policy versions (the Sealer). */
export interface PolicySealer {
  macPolicy(policy: Omit<PolicyVersionRecord, "mac">): PolicyVersionRecord;
  verifyPolicy(policy: PolicyVersionRecord): Promise<PolicyVersionRecord>;
}

/** What an operator supplies for a policy version. */
export interface PolicyDraft {
  readonly name: string;
  readonly script: string;
  readonly scope: PolicyScope;
}

/** Who wrote a version and under which approval. */
export interface PolicyAuthorship {
  readonly author: string;
  readonly approvalId: string | null;
}

/** Journals the refs of a write at the caller's audit commit point. */
export type PolicyCommit = (records: readonly RecordRef[]) => Promise<void>;

/** Dependencies of PolicyWrites. */
export interface PolicyWritesOptions {
  readonly store: PolicyStore;
  readonly sealer: PolicySealer;
  readonly journal: RecordJournal;
  readonly engine: PolicyEngine;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/** The journal ref of a policy version. */
export function policyRef(record: PolicyVersionRecord): RecordRef {
  return refOf("policy", policyJournalRecord(record));
}

/** The engine's record of a stored version. */
export function engineRecord(record: PolicyVersionRecord): PolicyRecord {
  return createPolicyRecord({
    id: record.id,
    name: record.name,
    script: record.script,
    version: record.version,
    scope: parsePolicyScope(record.scope),
  });
}

/** Applies policy changes to the store and the engine. */
export class PolicyWrites {
  readonly #store: PolicyStore;
  readonly #sealer: PolicySealer;
  readonly #journal: RecordJournal;
  readonly #engine: PolicyEngine;
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #locks = new KeyLocks();
  /** Policies from the signed configuration bundle (read-only through the API). */
  #bundle: readonly PolicyRecord[] = [];
  #stored: PolicyRecord[] = [];
  /** Serializes refreshes with this process's store writes. */
  #serial: Promise<unknown> = Promise.resolve();
  /** The refresh waiting to run after the current one (concurrent requests share it). */
  #queued: Promise<void> | undefined;

  constructor(options: PolicyWritesOptions) {
    this.#store = options.store;
    this.#sealer = options.sealer;
    this.#journal = options.journal;
    this.#engine = options.engine;
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** The bundle's policies (from the configuration), in order. */
  get bundle(): readonly PolicyRecord[] {
    return this.#bundle;
  }

  /**
   * Loads and checks every stored policy and puts them, after the bundle's, in the engine.
   * @param interrupted refs whose writes a crash may have cut short (journal.interrupted()
   *   before the start marker)
   * @throws HsmError("integrity_error") naming the first policy that does not check out
   */
  async load(interrupted: readonly RecordRef[] = []): Promise<void> {
    const rows = await this.#store.list();
    for (const row of rows) await this.verify(row);
    this.#install(rows, interrupted);
  }

  /**
   * Reloads every stored policy after another node changed one, catching the journal up
   * with the audit log first; concurrent calls share one run after the current one.
   * @throws HsmError("integrity_error") when a policy does not check out (the engine then
   *   keeps the policies it held)
   */
  refresh(): Promise<void> {
    this.#queued ??= this.#exclusive(async () => {
      this.#queued = undefined;
      const rows = await this.#store.list();
      for (const row of rows) {
        await this.verifyVersion(row);
        await this.#journal.verify("policy", policyJournalRecord(row));
      }
      this.#install(rows, []);
    });
    return this.#queued;
  }

  /** Checks that no journaled policy is missing, then puts the rows in the engine. */
  #install(rows: readonly PolicyVersionRecord[], interrupted: readonly RecordRef[]): void {
    const present = new Set(rows.map((r) => r.id));
    for (const ref of this.#journal.committed("policy")) {
      if (present.has(ref.id)) continue;
      const cutShort = ref.revision === 1 &&
        (this.#journal.creationFailed(ref) ||
          interrupted.some((i) => i.kind === "policy" && i.id === ref.id));
      if (cutShort) continue;
      throw new HsmError(
        "integrity_error",
        `Policy ${ref.id} version ${ref.revision} was committed by the audit log but is missing from the store`,
      );
    }
    this.#stored = rows.filter((r) => !r.deleted).map(engineRecord);
    this.#publish();
  }

  /** Replaces the bundle's policies (start-up and configuration reload). */
  setBundle(policies: readonly PolicyRecord[]): void {
    this.#bundle = policies;
    this.#publish();
  }

  /**
   * Checks a version read from the store: MAC, digest and journal.
   * @throws HsmError("integrity_error")
   */
  async verify(row: PolicyVersionRecord): Promise<PolicyVersionRecord> {
    await this.verifyVersion(row);
    this.#journal.check("policy", policyJournalRecord(row));
    return row;
  }

  /**
   * Checks an older version read from the store (history): MAC and digest.
   * @throws HsmError("integrity_error")
   */
  async verifyVersion(row: PolicyVersionRecord): Promise<PolicyVersionRecord> {
    await this.#sealer.verifyPolicy(row);
    if (policyDigest(row.script) !== row.digest) {
      throw new HsmError(
        "integrity_error",
        `Policy ${row.id} has a digest that is not its script's`,
      );
    }
    return row;
  }

  /** The verified latest version of a stored policy. @throws HsmError("not_found") */
  async latest(id: string): Promise<PolicyVersionRecord> {
    const row = await this.#store.latest(id);
    if (row === undefined) throw new HsmError("not_found", `Policy ${id} not found`);
    return await this.verify(row);
  }

  /** Stores a new policy (version 1) and applies it. */
  create(
    draft: PolicyDraft,
    by: PolicyAuthorship,
    commit: PolicyCommit,
  ): Promise<PolicyVersionRecord> {
    const id = this.#newId();
    return this.#locks.with(id, async () => {
      const now = this.#clock().toISOString();
      const next = this.#version(id, 1, draft, false, now, now, by);
      return await this.#write(next, commit);
    });
  }

  /**
   * Stores the next version of a policy and applies it.
   * @param base the version the change was asked against (conflict when it moved on)
   * @throws HsmError("not_found" | "conflict" | "invalid_state")
   */
  update(
    id: string,
    base: number | undefined,
    draft: PolicyDraft,
    by: PolicyAuthorship,
    commit: PolicyCommit,
  ): Promise<PolicyVersionRecord> {
    return this.#locks.with(id, async () => {
      const current = await this.#live(id, base);
      const next = this.#version(
        id,
        current.version + 1,
        draft,
        false,
        current.createdAt,
        this.#clock().toISOString(),
        by,
      );
      return await this.#write(next, commit);
    });
  }

  /** Writes a deletion tombstone and removes the policy from the engine. */
  remove(
    id: string,
    base: number | undefined,
    by: PolicyAuthorship,
    commit: PolicyCommit,
  ): Promise<PolicyVersionRecord> {
    return this.#locks.with(id, async () => {
      const current = await this.#live(id, base);
      const draft = { name: current.name, script: current.script, scope: current.scope };
      const next = this.#version(
        id,
        current.version + 1,
        draft,
        true,
        current.createdAt,
        this.#clock().toISOString(),
        by,
      );
      return await this.#write(next, commit);
    });
  }

  async #live(id: string, base: number | undefined): Promise<PolicyVersionRecord> {
    const current = await this.latest(id);
    if (current.deleted) {
      throw new HsmError("invalid_state", `Cannot change policy ${id}: it was deleted`);
    }
    if (base !== undefined && current.version !== base) {
      throw new HsmError(
        "conflict",
        `Cannot change policy ${id}: it is at version ${current.version}, the request was for ${base}`,
      );
    }
    return current;
  }

  #version(
    id: string,
    version: number,
    draft: PolicyDraft,
    deleted: boolean,
    createdAt: string,
    updatedAt: string,
    by: PolicyAuthorship,
  ): PolicyVersionRecord {
    return this.#sealer.macPolicy({
      id,
      version,
      name: draft.name,
      script: draft.script,
      digest: policyDigest(draft.script),
      scope: JSON.parse(JSON.stringify(draft.scope)),
      deleted,
      createdAt,
      updatedAt,
      author: by.author,
      approvalId: by.approvalId,
    });
  }

  async #write(next: PolicyVersionRecord, commit: PolicyCommit): Promise<PolicyVersionRecord> {
    const ref = policyRef(next);
    await commit([ref]);
    await this.#exclusive(async () => {
      await this.#store.put(next);
      this.#journal.settle(ref);
      this.#stored = this.#stored.filter((p) => p.id !== next.id);
      if (!next.deleted) this.#stored.push(engineRecord(next));
      this.#publish();
    });
    return next;
  }

  /** Runs `fn` after every refresh and store write queued before it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  #publish(): void {
    const ids = new Set(this.#bundle.map((p) => p.id));
    this.#engine.replaceAll([...this.#bundle, ...this.#stored.filter((p) => !ids.has(p.id))]);
  }
}
