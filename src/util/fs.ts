/**
 * Small filesystem helpers shared by the stores, the configuration loader and the CLI.
 */

/** True when `path` exists (a dangling symlink counts as existing). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Fsyncs a folder so renames, links and unlinks in it are durable. */
export async function syncDir(path: string): Promise<void> {
  // Deno cannot open a directory handle on Windows; NTFS journals metadata itself.
  if (Deno.build.os === "windows") return;
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}
