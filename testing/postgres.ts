/**
 * A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` into a temp dir and
 * `pg_ctl start` on 127.0.0.1 at a free port, with trust authentication for one
 * superuser. PostgreSQL refuses to run as root, so when this process is root the
 * binaries run as the `postgres` user through `runuser` (the temp dir is handed to that
 * user). `fsync` is off unless asked for: the tests kill FerroHSM nodes, never the
 * database. Test and benchmark code, never product code.
 */

import { join } from "node:path";

/** A running cluster. */
export interface PostgresCluster {
  readonly host: string;
  readonly port: number;
  /** The superuser (trust authentication, no password). */
  readonly user: string;
  /** `postgres://user@127.0.0.1:port/<database>` */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its name (about a second). */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL through `psql` in `database` (default `postgres`); returns stdout. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the cluster (immediate mode) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** `stop` without awaiting anything (for an `unload` handler). */
  stopSync(): void;
}

/** Options of `startPostgres`. */
export interface StartPostgresOptions {
  /** Keep `fsync` on (durability benchmarks). Default false. */
  readonly fsync?: boolean;
  /** Extra `postgres -c` settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Serve TLS with this certificate and key (PEM files, copied into the cluster's dir). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

const SUPERUSER = "ferrohsm";
const BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/bin"];

/**
 * The directory holding `initdb`, `pg_ctl` and `postgres`, or undefined when PostgreSQL
 * is not installed (tests then skip with a message naming the Debian package).
 */
export function postgresBinDir(): string | undefined {
  for (const dir of BIN_DIRS) {
    try {
      if (Deno.statSync(join(dir, "initdb")).isFile && Deno.statSync(join(dir, "pg_ctl")).isFile) {
        return dir;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why PostgreSQL tests skip here, or undefined when they can run. */
export function postgresUnavailable(): string | undefined {
  return postgresBinDir() === undefined
    ? "initdb/pg_ctl not found (apt-get install postgresql-15)"
    : undefined;
}

/** Starts a fresh cluster. @throws Error when initdb or pg_ctl fail */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(postgresUnavailable());
  const asRoot = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-pg-" });
  if (asRoot) await run("chown", ["postgres:postgres", dir]);
  const data = join(dir, "data");
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot
      ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]]
      : [join(bin, tool), args];
  const runAs = (tool: string, args: string[]) => run(...command(tool, args));
  const port = freePort();
  let started = false;
  try {
    await runAs("initdb", [
      "-D",
      data,
      "--auth=trust",
      `--username=${SUPERUSER}`,
      "--encoding=UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    const settings: Record<string, string> = {
      fsync: options.fsync === true ? "on" : "off",
      max_connections: "200",
      ...options.settings,
    };
    if (options.tls !== undefined) {
      // The server reads its key only when the file is private to the server's user.
      for (
        const [name, from] of [["server.crt", options.tls.cert], ["server.key", options.tls.key]]
      ) {
        const to = join(dir, name as string);
        await Deno.copyFile(from as string, to);
        await Deno.chmod(to, 0o600);
        if (asRoot) await run("chown", ["postgres:postgres", to]);
      }
      Object.assign(settings, {
        ssl: "on",
        ssl_cert_file: join(dir, "server.crt"),
        ssl_key_file: join(dir, "server.key"),
      });
    }
    const serverOptions = [
      "-h 127.0.0.1",
      `-p ${port}`,
      `-k ${dir}`,
      ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
    ].join(" ");
    await runAs("pg_ctl", ["-D", data, "-o", serverOptions, "-l", join(dir, "log"), "-w", "start"]);
    started = true;
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const url = (database = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  const psql = async (sql: string, database = "postgres") =>
    (await run("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, url(database)]))
      .stdout;
  let databases = 0;
  return {
    host: "127.0.0.1",
    port,
    user: SUPERUSER,
    url,
    psql,
    async createDatabase(prefix = "ferrohsm_test") {
      const name = `${prefix}_${Deno.pid}_${++databases}`;
      await psql(`CREATE DATABASE ${name}`);
      return name;
    },
    stop() {
      stopped ??= (async () => {
        if (started) await runAs("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
        await Deno.remove(dir, { recursive: true });
      })();
      return stopped;
    },
    stopSync() {
      if (stopped !== undefined) return;
      stopped = Promise.resolve();
      const [cmd, args] = command("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/**
 * One cluster per test process, started on first use and stopped when the process
 * unloads (tests share it and take a fresh database each).
 */
export function sharedPostgres(): Promise<PostgresCluster> {
  shared ??= startPostgres().then((cluster) => {
    globalThis.addEventListener("unload", () => cluster.stopSync());
    return cluster;
  });
  return shared;
}

let shared: Promise<PostgresCluster> | undefined;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<{ stdout: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  return { stdout: dec.decode(out.stdout) };
}
