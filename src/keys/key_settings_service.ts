/**
 * `PATCH /keys/:id`: a key's tags, rotation period (ISO 8601 duration, `null` removes it)
 * and minimum decryption version. Tags and the period need `key:update`; raising the
 * minimum needs `key:update:min-version` as well (Operator and Administrator by default),
 * and it only moves up, never past the latest version. One audit entry
 * (`key.update`) journals the new record revision; the payload names the fields changed.
 *
 * Destroyed keys cannot change; staged keys can (their settings apply once activated).
 */

import type { Actor, Guard } from "../access/guard.ts";
import { HsmError } from "../domain/errors.ts";
import { requireMinDecryptionVersion, requireRotationPeriod } from "../domain/key_schedule.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { KeySettingsChange, KeyTransitions } from "./key_transitions.ts";

/** A settings change as the transport parsed it (at least one field). */
export interface KeySettingsRequest {
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** A new period, or null to remove it. */
  readonly rotationPeriod?: string | null | undefined;
  readonly minDecryptionVersion?: number | undefined;
}

/** Dependencies of the settings service. */
export interface KeySettingsServiceDeps {
  readonly guard: Guard;
  readonly transitions: KeyTransitions;
}

/** Changes key settings under policy and audit. */
export class KeySettingsService {
  readonly #deps: KeySettingsServiceDeps;

  constructor(deps: KeySettingsServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Applies `req` to key `id` and returns the changed record.
   * @throws HsmError("invalid_request") for an empty change, a malformed period or a
   * version the key lacks; ("invalid_state") to lower the minimum or change a destroyed
   * key; ("forbidden") without the actions it needs
   */
  update(actor: Actor, id: string, req: KeySettingsRequest): Promise<KeyRecord> {
    const { guard, transitions } = this.#deps;
    const payload = {
      tags: req.tags,
      rotation_period: req.rotationPeriod,
      min_decryption_version: req.minDecryptionVersion,
    };
    return guard.run({ actor, action: "key.update", keyId: id, payload }, async (op) => {
      op.authorize("key:update");
      if (req.minDecryptionVersion !== undefined) op.authorize("key:update:min-version");
      if (
        req.tags === undefined && req.rotationPeriod === undefined &&
        req.minDecryptionVersion === undefined
      ) {
        throw new HsmError("invalid_request", "Invalid request: nothing to change");
      }
      if (typeof req.rotationPeriod === "string") requireRotationPeriod(req.rotationPeriod);
      return await transitions.withKey(id, async (record) => {
        if (record.state === "destroyed") {
          throw new HsmError("invalid_state", `Cannot change key ${id}: it is destroyed`);
        }
        await op.admit(record);
        if (req.minDecryptionVersion !== undefined) {
          requireMinDecryptionVersion(record, req.minDecryptionVersion);
        }
        const change: KeySettingsChange = {
          ...(req.tags === undefined ? {} : { tags: req.tags }),
          ...(req.rotationPeriod === undefined ? {} : { rotationPeriod: req.rotationPeriod }),
          ...(req.minDecryptionVersion === undefined
            ? {}
            : { minDecryptionVersion: req.minDecryptionVersion }),
        };
        return await transitions.amend(record, change, (refs) => op.commitPoint(refs));
      });
    });
  }
}
