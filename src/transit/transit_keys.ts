/**
 * Transit key names → FerroHSM keys. A FerroHSM key is a Transit key named N when it
 * carries the tag `transit=N` and is not destroyed; keys created through Transit get that
 * tag (and N as their FerroHSM name), and a key created through `/api/v1/keys` joins
 * Transit by being created with the tag. Keys without the tag are invisible to Transit.
 *
 * Resolving a name is a guarded `key.list` by tag (needs `key:read`, audited). The
 * answer is remembered per caller (subject and roles) until the next key write in this
 * process (the list cache's generation), so a re-tagged, destroyed or newly tagged key is
 * seen at once; every operation on the resolved key is then authorized and audited by
 * the key and crypto services with the key's id, on the MAC-checked record.
 *
 * Caveats: two live keys tagged with the same name are refused as ambiguous (fail
 * closed); creation is serialized per name, and writes are seen, in this process only.
 */

import type { Actor } from "../access/guard.ts";
import { HsmError } from "../domain/errors.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { KeyService } from "../keys/key_service.ts";
import { KeyLocks } from "../util/keyed_locks.ts";
import { LruCache } from "../util/lru_cache.ts";
import type { TransitKeyTypeInfo } from "./key_types.ts";

/** The tag whose value is a key's Transit name. */
export const TRANSIT_TAG = "transit";

/** Vault's key name rule (word characters, `-`, `.`, `@` inside), at most 128 characters. */
const NAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.@-]{0,126}[A-Za-z0-9_])?$/;
/** Keys a listing walks at most (pages of 100). */
const MAX_LISTED = 10_000;
const PAGE = 100;
/** Live keys fetched per name lookup: one is expected, more is ambiguous. */
const LOOKUP_LIMIT = 10;

/** The outcome of a create request. */
export interface CreatedTransitKey {
  readonly key: KeyRecord;
  /** False when a live key already had the name (Vault's create is an upsert). */
  readonly created: boolean;
}

/**
 * Checks a Transit key name.
 * @throws HsmError("invalid_request") when Vault would not accept it
 */
export function checkTransitName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new HsmError(
      "invalid_request",
      "Invalid key name: use letters, digits and _ (and - . @ inside), at most 128 characters",
    );
  }
  return name;
}

/** Resolves, creates and lists Transit keys over the key service. */
export class TransitKeys {
  readonly #keys: KeyService;
  readonly #writes: () => number;
  readonly #resolved: LruCache<string, { record: KeyRecord; writes: number }>;
  readonly #locks = new KeyLocks();

  /**
   * `writes` counts key writes (the list cache's generation); `cacheSize` bounds the
   * remembered (caller, name) → key pairs.
   */
  constructor(keys: KeyService, writes: () => number, cacheSize = 4096) {
    this.#keys = keys;
    this.#writes = writes;
    this.#resolved = new LruCache({ maxEntries: cacheSize });
  }

  /**
   * The live key named `name`, or undefined.
   * @throws HsmError("conflict") when several live keys carry the name
   */
  async find(actor: Actor, name: string): Promise<KeyRecord | undefined> {
    checkTransitName(name);
    const slot = `${actor.id}\n${[...actor.roles].sort().join(",")}\n${name}`;
    const writes = this.#writes();
    const hit = this.#resolved.get(slot);
    if (hit !== undefined && hit.writes === writes) return hit.record;
    const page = await this.#keys.list(actor, {
      tag: { key: TRANSIT_TAG, value: name },
      offset: 0,
      limit: LOOKUP_LIMIT,
    });
    const live = page.items.filter((k) => isNamed(k, name));
    if (live.length > 1) {
      throw new HsmError(
        "conflict",
        `Transit key ${name} is ambiguous: ${live.length} keys carry the tag ${TRANSIT_TAG}=${name}`,
      );
    }
    const found = live[0];
    if (found !== undefined) this.#resolved.set(slot, { record: found, writes });
    else this.#resolved.delete(slot);
    return found;
  }

  /**
   * The live key named `name`.
   * @throws HsmError("invalid_request") "encryption key not found", as Vault answers
   */
  async get(actor: Actor, name: string): Promise<KeyRecord> {
    const record = await this.find(actor, name);
    if (record === undefined) throw new HsmError("invalid_request", "Encryption key not found");
    return record;
  }

  /** Creates the key unless a live key has the name already (then returns that one). */
  create(actor: Actor, name: string, type: TransitKeyTypeInfo): Promise<CreatedTransitKey> {
    return this.#locks.with(checkTransitName(name), async () => {
      const existing = await this.find(actor, name);
      if (existing !== undefined) return { key: existing, created: false };
      const { key } = await this.#keys.create(actor, {
        name,
        algorithm: type.algorithm,
        usage: type.usages,
        tags: { [TRANSIT_TAG]: name },
      });
      return { key, created: true };
    });
  }

  /** The sorted names of every live Transit key the caller may list. */
  async list(actor: Actor): Promise<string[]> {
    const names = new Set<string>();
    for (let offset = 0; offset < MAX_LISTED; offset += PAGE) {
      const page = await this.#keys.list(actor, { offset, limit: PAGE });
      for (const key of page.items) {
        const name = key.tags[TRANSIT_TAG];
        if (name !== undefined && key.state !== "destroyed" && NAME_RE.test(name)) names.add(name);
      }
      if (page.items.length < PAGE || offset + PAGE >= page.total) break;
    }
    return [...names].sort();
  }
}

function isNamed(record: KeyRecord, name: string): boolean {
  return record.tags[TRANSIT_TAG] === name && record.state !== "destroyed";
}
