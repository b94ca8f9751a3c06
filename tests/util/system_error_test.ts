/**
 * System errors in words: each runtime error class and Node error code maps to a phrase,
 * the operation and path Deno names are kept, and nothing of the runtime's own wording
 * (class names, advice to widen permissions) survives.
 */

import assert from "node:assert/strict";
import { describeSystemError } from "../../src/util/system_error.ts";

Deno.test("runtime error classes are described in words with their operation and path", () => {
  assert.equal(
    describeSystemError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/srv/hsm/x'"),
    ),
    "permission denied (open '/srv/hsm/x')",
  );
  assert.equal(
    describeSystemError(new Deno.errors.AddrInUse("Address already in use (os error 98)")),
    "address already in use",
  );
  assert.equal(
    describeSystemError(
      new Deno.errors.NotFound("No such file or directory (os error 2): stat '/a'"),
    ),
    "not found (stat '/a')",
  );
});

Deno.test("Node error codes from node:net and node:tls are described the same way", () => {
  const err = Object.assign(new Error("listen EADDRINUSE: address already in use"), {
    code: "EADDRINUSE",
  });
  assert.equal(describeSystemError(err), "address already in use");
  assert.equal(describeSystemError({ code: "EACCES" }), "permission denied");
  assert.equal(describeSystemError({ code: "ENOSPC" }), "no space left on device");
});

Deno.test("a missing Deno permission is named without the runtime's advice", () => {
  const text = describeSystemError(
    new Deno.errors.NotCapable(
      'Requires write access to "/etc/x", run again with the --allow-write flag',
    ),
  );
  assert.equal(text, `not permitted by the server's Deno permissions (write access to "/etc/x")`);
  assert.doesNotMatch(text ?? "", /--allow|run again/);
});

Deno.test("anything else is not a system error", () => {
  assert.equal(describeSystemError(new TypeError("bug")), undefined);
  assert.equal(describeSystemError("text"), undefined);
  assert.equal(describeSystemError(undefined), undefined);
});
