/**
 * Validation of the dashboard's Create key form, field by field, with messages written
 * for people and placed next to their field. The rules are the contract's (name and tag
 * limits from `src/contract/keys.ts`, usages from the algorithm registry); the key
 * service applies them again, so this is for feedback, not for safety.
 */

import { algorithmInfo } from "../../src/core/algorithms.ts";
import { keyName, keyTags } from "../../src/contract/keys.ts";
import { type Algorithm, type Usage, USAGE_NAMES } from "../../src/domain/algorithms.ts";
import type { CreateKeyModel } from "../../views/key_form.tsx";

/** The form checked: its errors, and the request when there are none. */
export interface CheckedCreate {
  readonly errors: CreateKeyModel["errors"];
  readonly request?: {
    name: string;
    algorithm: Algorithm;
    usage?: Usage[];
    tags?: Record<string, string>;
    dualControl: boolean;
  };
}

/** Validates the create form field by field (messages written for people). */
export function checkCreate(values: CreateKeyModel["values"]): CheckedCreate {
  const errors: Partial<Record<keyof CreateKeyModel["errors"], string>> = {};
  if (values.name === "") errors.name = "Enter a name";
  else if (values.name.length > 128) errors.name = "Use at most 128 characters";
  else if (!keyName.safeParse(values.name).success) {
    errors.name = "Use letters, digits, spaces and . _ : / @ - only";
  }
  const info = values.algorithm === "" ? undefined : algorithmInfo(values.algorithm);
  if (values.algorithm === "") errors.algorithm = "Choose an algorithm";
  else if (info === undefined) errors.algorithm = "Choose one of the listed algorithms";
  const unknownUsage = values.usage.find((u) => !(USAGE_NAMES as readonly string[]).includes(u));
  if (unknownUsage !== undefined) errors.usage = `Unknown usage ${unknownUsage}`;
  else if (info !== undefined) {
    const bad = values.usage.filter((u) => !(info.usages as readonly string[]).includes(u));
    if (bad.length > 0) {
      errors.usage = `${info.name} keys cannot ${bad.join(", ")}; allowed: ${
        info.usages.join(", ")
      }`;
    }
  }
  const tags = parseTags(values.tags);
  if (typeof tags === "string") errors.tags = tags;
  if (Object.keys(errors).length > 0 || info === undefined || typeof tags === "string") {
    return { errors };
  }
  return {
    errors,
    request: {
      name: values.name,
      algorithm: info.name,
      ...(values.usage.length === 0 ? {} : { usage: values.usage as Usage[] }),
      ...(Object.keys(tags).length === 0 ? {} : { tags }),
      dualControl: values.dualControl,
    },
  };
}

/** `k=v` lines → tags, or the message of the first problem. */
export function parseTags(text: string): Record<string, string> | string {
  const tags: Record<string, string> = Object.create(null);
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq < 1) return `Line ${i + 1}: write each tag as key=value`;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (Object.hasOwn(tags, key)) return `Line ${i + 1}: tag ${key} is given twice`;
    tags[key] = value;
  }
  const parsed = keyTags.safeParse({ ...tags });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (Object.keys(tags).length > 32) return "Use at most 32 tags";
    return issue?.path.length
      ? `Tag ${
        String(issue.path[0])
      }: keys are letters, digits and _ . - (at most 64), values at most 256 characters`
      : "Use at most 32 tags";
  }
  return { ...tags };
}
