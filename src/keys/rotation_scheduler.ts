/**
 * The rotation scheduler: on an interval, finds active keys with a rotation period whose
 * current version is at least that old and rotates them through the key service as the
 * actor `system` (role Administrator), so each rotation is authorized, journaled and
 * audited like a manual one (`key.rotate` by `system`).
 *
 * Under a policy that requires approval for rotation, the scheduler's rotation becomes
 * a pending approval requested by `system` (any administrator may approve it: the
 * requester is never a person); while one is pending for a key the scheduler does not
 * ask again, and once it expires or is denied the next pass asks again.
 *
 * The clock is injectable (`runOnce` is what the timer calls), so tests move time
 * instead of waiting. One pass runs at a time; a failure on one key is logged and the
 * pass goes on.
 */

import type { Actor } from "../access/guard.ts";
import { isRotationDue } from "../domain/key_schedule.ts";
import type { ApprovalStore, KeyStore } from "../storage/ports.ts";
import type { Logger } from "../util/logger.ts";
import type { KeyChange } from "./key_service.ts";
import type { KeyRecords } from "./key_records.ts";

/** The actor scheduled rotations run as. */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  id: "system",
  roles: Object.freeze(["Administrator"] as const),
});

/** Default interval between passes. */
export const ROTATION_CHECK_INTERVAL_MS = 60_000;

/** Keys read per page while scanning. */
const PAGE = 100;

/** Dependencies of the scheduler. */
export interface RotationSchedulerDeps {
  readonly store: KeyStore;
  readonly records: KeyRecords;
  /** The guarded rotation (the key service). */
  readonly rotate: (actor: Actor, id: string) => Promise<KeyChange>;
  /** Where pending rotation approvals are looked up. */
  readonly approvals: ApprovalStore;
  readonly clock?: () => Date;
  readonly log?: Logger;
}

/** What one pass did. */
export interface RotationPass {
  /** Keys with a rotation period that were looked at. */
  readonly checked: number;
  /** Keys rotated. */
  readonly rotated: readonly string[];
  /** Keys whose rotation now waits for approval. */
  readonly requested: readonly string[];
  /** Keys whose rotation failed (see the log and the audit). */
  readonly failed: readonly string[];
}

/** Rotates keys whose rotation period has passed. */
export class RotationScheduler {
  readonly #deps: RotationSchedulerDeps;
  readonly #clock: () => Date;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<RotationPass> | undefined;

  constructor(deps: RotationSchedulerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /** Runs a pass every `intervalMs` until `stop()` (the timer does not keep the process alive). */
  start(intervalMs: number = ROTATION_CHECK_INTERVAL_MS): void {
    if (this.#timer !== undefined) return;
    const timer = setInterval(() => {
      if (this.#running === undefined) this.runOnce().catch(() => undefined);
    }, intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops the timer and waits for a running pass. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over every active key (joins a pass already running). */
  runOnce(): Promise<RotationPass> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<RotationPass> {
    const { store, records, approvals, log } = this.#deps;
    const now = this.#clock();
    const rotated: string[] = [];
    const requested: string[] = [];
    const failed: string[] = [];
    let checked = 0;
    const due: string[] = [];
    for (let offset = 0;; offset += PAGE) {
      const page = await store.list({ state: "active", offset, limit: PAGE });
      for (const item of page.items) {
        if (item.rotationPeriod === undefined) continue;
        checked++;
        try {
          const record = await records.get(item.id);
          const current = await store.getVersion(record.id, record.currentVersion);
          if (current !== undefined && isRotationDue(record, current.createdAt, now)) {
            due.push(record.id);
          }
        } catch (err) {
          failed.push(item.id);
          log?.log("warn", "rotation check failed", { key_id: item.id, error: errorName(err) });
        }
      }
      if (page.items.length < PAGE) break;
    }
    for (const id of due) {
      try {
        const pending = await approvals.list({
          state: "pending",
          action: "key.rotate",
          keyId: id,
          now: now.toISOString(),
          offset: 0,
          limit: 1,
        });
        if (pending.total > 0) continue;
        const change = await this.#deps.rotate(SYSTEM_ACTOR, id);
        (change.approval === undefined ? rotated : requested).push(id);
      } catch (err) {
        failed.push(id);
        log?.log("warn", "scheduled rotation failed", { key_id: id, error: errorName(err) });
      }
    }
    if (rotated.length + requested.length + failed.length > 0) {
      log?.log("info", "rotation pass", {
        checked,
        rotated: rotated.length,
        requested: requested.length,
        failed: failed.length,
      });
    }
    return { checked, rotated, requested, failed };
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? ("code" in err ? String(err.code) : err.name) : "unknown";
}
