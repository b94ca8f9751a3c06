/**
 * Retention classes (`config/retention.yaml`, parsed with the `yaml` package and checked
 * strictly): how long revoked versions and destroyed keys keep their sealed material
 * before retention purges it, whether a purge needs approvers, and the grace period
 * between the approval and the wipe. Keys name a class (`retention_class`); a key
 * without one follows `default_class`. The optional `audit` section bounds the live
 * audit log (entries older than `archive_after_days` move to an archive).
 *
 * ```yaml
 * version: 1
 * default_class: standard
 * classes:
 *   standard:
 *     revoked_versions_days: null   # keep revoked versions (null: for ever)
 *     destroyed_keys_days: 0        # wipe at destruction (0) or N days after
 *     purge_requires_approval: true
 *     grace_hours: 24
 * audit:
 *   archive_after_days: null       # keep the whole log live
 * ```
 */

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HsmError } from "../domain/errors.ts";

/** One retention class. */
export interface RetentionClass {
  readonly name: string;
  /** Days a revoked version keeps its material; null: for ever. */
  readonly revokedVersionsDays: number | null;
  /** Days a destroyed key keeps its versions' material; 0 wipes at destruction. */
  readonly destroyedKeysDays: number;
  readonly purgeRequiresApproval: boolean;
  /** Hours between a purge's approval and the wipe. */
  readonly graceHours: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const days = z.number().int().min(0).max(36_500);

const classSchema = z.strictObject({
  revoked_versions_days: days.nullable().default(null),
  destroyed_keys_days: days.default(0),
  purge_requires_approval: z.boolean().default(true),
  grace_hours: z.number().min(0).max(24 * 365).default(24),
});

const fileSchema = z.strictObject({
  version: z.literal(1),
  default_class: z.string().regex(NAME),
  classes: z.record(z.string().regex(NAME, "class names are [A-Za-z0-9_.-]{1,64}"), classSchema),
  audit: z.strictObject({ archive_after_days: days.min(1).nullable().default(null) }).optional(),
});

/** The built-in classes (the same as `config/retention.yaml`). */
export const DEFAULT_RETENTION_YAML = `version: 1
default_class: standard
classes:
  standard:
    revoked_versions_days: null
    destroyed_keys_days: 0
    purge_requires_approval: true
    grace_hours: 24
audit:
  archive_after_days: null
`;

/** A validated set of retention classes. */
export class RetentionClasses {
  readonly defaultName: string;
  /** Days after which audit entries are archived; null keeps the log whole. */
  readonly auditArchiveAfterDays: number | null;
  readonly #classes: ReadonlyMap<string, RetentionClass>;

  constructor(
    classes: readonly RetentionClass[],
    defaultName: string,
    auditArchiveAfterDays: number | null = null,
  ) {
    this.#classes = new Map(classes.map((c) => [c.name, Object.freeze({ ...c })]));
    if (!this.#classes.has(defaultName)) {
      throw new RangeError(`The default retention class ${defaultName} is not defined`);
    }
    this.defaultName = defaultName;
    this.auditArchiveAfterDays = auditArchiveAfterDays;
  }

  /** The built-in classes. */
  static default(): RetentionClasses {
    return parseRetentionClasses(DEFAULT_RETENTION_YAML, "(built-in)");
  }

  /** True when `name` is a class. */
  has(name: string): boolean {
    return this.#classes.has(name);
  }

  /** The class `name` names, or the default class (also for a class no longer defined). */
  of(name: string | undefined): RetentionClass {
    const found = name === undefined ? undefined : this.#classes.get(name);
    return found ?? this.#classes.get(this.defaultName) as RetentionClass;
  }

  /** Every class. */
  list(): RetentionClass[] {
    return [...this.#classes.values()];
  }
}

/**
 * Parses the YAML text of a retention file.
 * @throws HsmError("invalid_request") naming the source and the first problem
 */
export function parseRetentionClasses(text: string, source = "(inline)"): RetentionClasses {
  let doc: unknown;
  try {
    doc = parseYaml(text, { schema: "core", maxAliasCount: 0 });
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : "not YAML";
    throw new HsmError("invalid_request", `Invalid retention classes ${source}: ${why}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new HsmError(
      "invalid_request",
      `Invalid retention classes ${source}: ${where}${issue?.message ?? "invalid"}`,
    );
  }
  const { default_class, classes, audit } = parsed.data;
  const list = Object.entries(classes).map(([name, c]) => ({
    name,
    revokedVersionsDays: c.revoked_versions_days,
    destroyedKeysDays: c.destroyed_keys_days,
    purgeRequiresApproval: c.purge_requires_approval,
    graceHours: c.grace_hours,
  }));
  if (!list.some((c) => c.name === default_class)) {
    throw new HsmError(
      "invalid_request",
      `Invalid retention classes ${source}: default_class ${default_class} is not defined`,
    );
  }
  return new RetentionClasses(list, default_class, audit?.archive_after_days ?? null);
}
