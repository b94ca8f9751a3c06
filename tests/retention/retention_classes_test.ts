/** Retention classes from YAML: defaults, validation, the shipped file. */

import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { parseRetentionClasses, RetentionClasses } from "../../src/retention/retention_classes.ts";

Deno.test("config/retention.yaml holds exactly the built-in classes", async () => {
  const text = await Deno.readTextFile(new URL("../../config/retention.yaml", import.meta.url));
  const file = parseRetentionClasses(text, "config/retention.yaml");
  const builtIn = RetentionClasses.default();
  assert.deepEqual(file.list(), builtIn.list());
  assert.equal(file.defaultName, builtIn.defaultName);
  assert.equal(file.auditArchiveAfterDays, null);
  assert.deepEqual(builtIn.of(undefined), {
    name: "standard",
    revokedVersionsDays: null,
    destroyedKeysDays: 0,
    purgeRequiresApproval: true,
    graceHours: 24,
  });
});

Deno.test("omitted fields take their defaults; an unknown class falls back to the default", () => {
  const classes = parseRetentionClasses(`version: 1
default_class: a
classes:
  a: {}
  b:
    revoked_versions_days: 7
    grace_hours: 1
audit:
  archive_after_days: 90
`);
  assert.equal(classes.of("b").revokedVersionsDays, 7);
  assert.equal(classes.of("b").graceHours, 1);
  assert.equal(classes.of("b").purgeRequiresApproval, true);
  assert.equal(classes.of("gone").name, "a");
  assert.equal(classes.has("gone"), false);
  assert.equal(classes.auditArchiveAfterDays, 90);
});

Deno.test("bad files are refused naming the problem", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseRetentionClasses(text, "r.yaml"),
      (err: unknown) => isHsmError(err, "invalid_request") && pattern.test(err.message),
    );
  refused("version: 1\ndefault_class: x\nclasses:\n  a: {}\n", /default_class x is not defined/);
  refused("version: 2\ndefault_class: a\nclasses:\n  a: {}\n", /version/);
  refused("version: 1\ndefault_class: a\nclasses:\n  a: { grace: 1 }\n", /classes\.a/);
  refused("version: 1\ndefault_class: a\nclasses:\n  'a b': {}\n", /classes/);
  refused(
    "version: 1\ndefault_class: a\nclasses:\n  a: { revoked_versions_days: -1 }\n",
    /classes\.a\.revoked_versions_days/,
  );
  refused("a: [\n", /r\.yaml/);
  refused("x: &a [1]\ny: *a\n", /r\.yaml/);
});
