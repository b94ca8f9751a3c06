/**
 * Claiming the data dir at start-up, before anything in it is opened: the data dir
 * exists as a 0700 folder this process can write, no other FerroHSM server uses it, and
 * the SQLite database, wherever `--sqlite-path` puts it, is a 0600 file before libSQL
 * opens it, so the `-wal` and `-shm` files SQLite creates later get the same mode
 * (SQLite copies the database file's permissions to them). Deno 2.9's `Deno.umask` would
 * need the whole `--allow-sys` permission (`--allow-sys=umask` is not accepted), so the
 * modes are set explicitly instead; the systemd unit also sets `UMask=0077`. The lock is an
 * exclusive, non-blocking advisory lock (flock) on `<dataDir>/ferrohsm.lock`, which
 * holds the owner's pid; the kernel drops it when the process dies, so a crash never
 * leaves a stale lock. Advisory: it stops FerroHSM processes, not a hostile one.
 */

import { dirname, join } from "node:path";
import type { Config } from "../config/config.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import { startupFailure } from "./startup_failure.ts";

/** The lock file's name inside the data dir. */
export const LOCK_FILE = "ferrohsm.lock";

/** The exclusive hold of one process on a data dir. */
export interface DataDirClaim {
  readonly dataDir: string;
  /** Gives the data dir up (unlock and close the lock file). Idempotent. */
  release(): void;
}

/**
 * Creates the data dir if needed (0700) and takes its lock.
 * @throws StartupError(EXIT.usage) when the data dir cannot be created or written, or
 * another FerroHSM process holds it (`data dir DIR is in use by another ferrohsm
 * process (pid N)`)
 */
export async function claimDataDir(config: Config): Promise<DataDirClaim> {
  const dir = config.dataDir;
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    file = await Deno.open(join(dir, LOCK_FILE), {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
  } catch (err) {
    throw startupFailure(err, `use data dir ${dir}`);
  }
  try {
    if (!(await file.tryLock(true))) {
      const owner = await readPid(file);
      throw new StartupError(
        EXIT.usage,
        `Cannot start: data dir ${dir} is in use by another ferrohsm process (pid ${owner})`,
      );
    }
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (err) {
    file.close();
    throw startupFailure(err, `use data dir ${dir}`);
  }
  let held = true;
  return {
    dataDir: dir,
    release() {
      if (!held) return;
      held = false;
      try {
        file.close(); // closing the descriptor drops the flock
      } catch {
        // already closed
      }
    },
  };
}

/**
 * Makes the SQLite database of `config` a private (0600) file before it is opened: an
 * empty file is created when there is none (SQLite starts a new database in it), an
 * existing database and its `-wal` and `-shm` files are set to 0600.
 * @throws StartupError when the file cannot be created or its mode set
 */
export async function prepareSqliteFiles(config: Config): Promise<void> {
  const usesSqlite = config.keyStore === "sqlite" || config.auditStore === "sqlite" ||
    config.approvalStore === "sqlite";
  if (!usesSqlite || config.sqlitePath === ":memory:") return;
  const path = config.sqlitePath;
  try {
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    (await Deno.open(path, { write: true, create: true, mode: 0o600 })).close();
    await Deno.chmod(path, 0o600);
  } catch (err) {
    throw startupFailure(err, `use the SQLite database ${path}`);
  }
  for (const suffix of ["-wal", "-shm"]) {
    await Deno.chmod(`${path}${suffix}`, 0o600).catch(() => {
      // absent until SQLite creates it with the database file's mode
    });
  }
}

async function readPid(file: Deno.FsFile): Promise<string> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const buf = new Uint8Array(32);
    const n = await file.read(buf);
    const text = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim();
    return /^\d{1,10}$/.test(text) ? text : "unknown";
  } catch {
    return "unknown";
  }
}
