/**
 * Small filesystem helpers shared by the stores, the configuration loader and the CLI,
 * including the one way FerroHSM writes a file that must survive a crash: owner-only
 * mode 0600, every byte written, the file fsynced, then (for a replacement) renamed
 * over the old one, and the directory fsynced so the name is durable too.
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

/** Writes every byte of `data` to an open file. */
export async function writeFully(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
}

/**
 * Writes `data` to a fresh temp file (mode 0600) in `dir`, fsynced; returns its path.
 * The caller renames it into place or removes it.
 */
export async function writeTempFile(dir: string, name: string, data: Uint8Array): Promise<string> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16))
    .join("");
  const tmp = `${dir}/.${name}.${suffix}.tmp`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    await writeFully(file, data);
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => undefined);
    throw err;
  }
  file.close();
  return tmp;
}

/** Options of `writeFileDurably`. */
export interface DurableWriteOptions {
  /** Replace an existing file atomically (temp + rename); otherwise refuse to overwrite. */
  readonly replace?: boolean;
  /** Fsync the directory afterwards so the new name survives a crash (default true). */
  readonly syncDirectory?: boolean;
}

/**
 * Writes a file with mode 0600 durably: a new file (`createNew`, failing with
 * `Deno.errors.AlreadyExists`) or, with `replace`, an atomic replacement.
 */
export async function writeFileDurably(
  path: string,
  data: Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  if (options.replace) {
    const tmp = await writeTempFile(dir, path.slice(slash + 1), data);
    try {
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => undefined);
      throw err;
    }
  } else {
    const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    try {
      await writeFully(file, data);
      await file.sync();
    } finally {
      file.close();
    }
  }
  if (options.syncDirectory ?? true) await syncDir(dir);
}
