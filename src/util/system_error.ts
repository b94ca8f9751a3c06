/**
 * Operating-system and runtime permission errors in words (`address already in use`,
 * `permission denied (open '/x')`), for messages people read: never a runtime class
 * name, never Deno's advice to rerun with broader permissions. Classification uses the
 * error class or the Node error `code`, never message text; only the operation and path
 * Deno appends to its OS message are quoted.
 */

const REASONS: readonly [new (...args: never[]) => Error, string, string][] = [
  [Deno.errors.AddrInUse, "EADDRINUSE", "address already in use"],
  [Deno.errors.AddrNotAvailable, "EADDRNOTAVAIL", "address not available on this host"],
  [Deno.errors.PermissionDenied, "EACCES", "permission denied"],
  [Deno.errors.NotFound, "ENOENT", "not found"],
  [Deno.errors.NotADirectory, "ENOTDIR", "a path component is not a directory"],
  [Deno.errors.IsADirectory, "EISDIR", "is a directory"],
  [Deno.errors.AlreadyExists, "EEXIST", "already exists"],
  [Deno.errors.FilesystemLoop, "ELOOP", "too many symbolic links"],
  [Deno.errors.InvalidData, "ERR_INVALID_DATA", "invalid data"],
  [Deno.errors.NotSupported, "ENOTSUP", "not supported here"],
];

/** The reason of an operating-system or permission error in words, if it is one. */
export function describeSystemError(err: unknown): string | undefined {
  if (err instanceof Deno.errors.NotCapable) {
    const what = /(\w+ access to "[^"]*")/.exec(err.message)?.[1];
    return `not permitted by the server's Deno permissions${
      what === undefined ? "" : ` (${what})`
    }`;
  }
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  for (const [type, nodeCode, reason] of REASONS) {
    if (err instanceof type || code === nodeCode) return withSubject(reason, err);
  }
  if (code === "EPERM") return withSubject("operation not permitted", err);
  if (code === "EROFS") return withSubject("read-only file system", err);
  if (code === "ENOSPC") return withSubject("no space left on device", err);
  return undefined;
}

/** Appends the operation and path Deno names after its OS message (`: open '/x'`). */
function withSubject(reason: string, err: unknown): string {
  if (!(err instanceof Error)) return reason;
  const subject = /\(os error \d+\):? (\w+ '.*')$/.exec(err.message)?.[1];
  return subject === undefined ? reason : `${reason} (${subject})`;
}
