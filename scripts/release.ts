/**
 * `deno task release`: the self-contained release folder `dist/ferrohsm-<version>-<os>-<arch>/`
 * and its archive, for hosts where `deno compile` cannot fetch its base binary.
 *
 * The folder holds `ferrohsm.js` (`deno bundle --platform deno main.ts`), the audit
 * writer worker `audit_writer_worker.js`, the crypto offload worker `offload_worker.js`,
 * the policy sandbox child `policy_sandbox_child.js` (QuickJS's wasm inside), `launcher.js`
 * (the bundled permission derivation, scripts/release_launcher.ts), the `ferrohsm` POSIX
 * script, the libSQL native addon package under `node_modules/` (the bundle loads it
 * with require()), `migrations/`, `static/`, `deploy/`, the docs, the `deno` binary this
 * script runs on (the npm `deno` package), `sbom.cdx.json` (CycloneDX 1.5 from
 * deno.lock) and `SHA256SUMS`. Beside it: `<name>.tar.gz` and `<name>.tar.gz.sha256`.
 *
 * Reproducible: file modes and mtimes are normalised to SOURCE_DATE_EPOCH (default: the
 * last commit's time), the tar is sorted with fixed owners and no atime/ctime, gzip
 * stores no name or time, and the SBOM holds no clock or random value. `--verify-reproducible`
 * builds a second time in a temp dir and compares every hash.
 *
 * Flags: `--out-dir DIR` (default dist), `--version V` (or FERROHSM_VERSION; default from
 * git), `--no-archive`, `--verify-reproducible`, `--with-binary` (also `deno compile`).
 */

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { toHex } from "../src/core/encoding.ts";
import { libsqlAddonPath } from "../src/cli/permissions.ts";
import { compileBinary } from "./compile.ts";
import {
  type CycloneDxComponent,
  cycloneDxFromLock,
  type DenoLock,
  npmPlatform,
  runtimeRootsOf,
} from "./sbom.ts";

/** The project root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** Options of one release build. */
export interface ReleaseOptions {
  /** Where the folder (and archive) go. */
  readonly outDir: string;
  readonly version: string;
  /** SOURCE_DATE_EPOCH: every mtime, the tar and the SBOM timestamp. */
  readonly epoch: number;
  /** Also write `<name>.tar.gz` and its `.sha256`. */
  readonly archive: boolean;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What a build produced. */
export interface ReleaseResult {
  readonly name: string;
  readonly folder: string;
  /** `path  sha256` of every file in the folder, as in SHA256SUMS. */
  readonly sums: string;
  readonly archive?: string;
  readonly archiveSha256?: string;
}

/** `<os>-<arch>` of this host in npm's spelling (`linux-x64`). */
export function platformName(): string {
  const { os, cpu } = npmPlatform();
  return `${os}-${cpu}`;
}

async function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

async function tryRun(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(cmd, args)).trim();
  } catch {
    return undefined;
  }
}

/** SOURCE_DATE_EPOCH, else the last commit's time, else 0. */
export async function sourceDateEpoch(): Promise<number> {
  const env = Deno.env.get("SOURCE_DATE_EPOCH");
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  const git = await tryRun("git", ["log", "-1", "--format=%ct"]);
  return git !== undefined && /^\d+$/.test(git) ? Number(git) : 0;
}

/** FERROHSM_VERSION, else the exact git tag (without `v`), else `0.0.0-git.<hash>`. */
export async function defaultVersion(): Promise<string> {
  const env = Deno.env.get("FERROHSM_VERSION");
  if (env !== undefined && env !== "") return env;
  const tag = await tryRun("git", ["describe", "--tags", "--exact-match"]);
  if (tag !== undefined && tag !== "") return tag.replace(/^v/, "");
  const hash = await tryRun("git", ["rev-parse", "--short=12", "HEAD"]);
  return hash === undefined ? "0.0.0-dev" : `0.0.0-git.${hash}`;
}

/** Copies the folder `src` to `dst` (regular files and folders only, modes kept). */
export async function copyTree(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const entry of Deno.readDir(src)) {
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    if (entry.isDirectory) await copyTree(from, to);
    else if (entry.isFile) await Deno.copyFile(from, to);
    else throw new Error(`Cannot package ${from}: not a regular file or folder`);
  }
}

/** Every file under `dir`, relative with `/` separators, sorted by code unit. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) files.push(...await listFiles(dir, rel));
    else files.push(rel);
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function sha256File(path: string): Promise<string> {
  const data = await Deno.readFile(path);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

const EXECUTABLES = new Set(["ferrohsm", "deno"]);

/** Fixed modes (0755 folders and executables, 0644 files) and mtimes for every entry. */
async function normalise(dir: string, epoch: number, prefix = ""): Promise<void> {
  const here = join(dir, prefix);
  for await (const entry of Deno.readDir(here)) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const path = join(dir, rel);
    if (entry.isDirectory) {
      await normalise(dir, epoch, rel);
      await Deno.chmod(path, 0o755);
    } else {
      await Deno.chmod(path, EXECUTABLES.has(rel) || rel.endsWith(".node") ? 0o755 : 0o644);
    }
    await Deno.utime(path, epoch, epoch);
  }
  await Deno.utime(here, epoch, epoch);
}

async function bundle(entry: string, output: string): Promise<void> {
  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--frozen-lockfile",
    "--platform",
    "deno",
    "--output",
    output,
    entry,
  ]);
}

/** The npm name of the libSQL addon package shipped (`@libsql/linux-x64-gnu`). */
function addonPackageName(): string {
  const addon = libsqlAddonPath(ROOT);
  if (addon === undefined) {
    throw new Error("Cannot find the libSQL native addon: run `deno install` first");
  }
  const pkg = dirname(addon);
  return `${basename(dirname(pkg))}/${basename(pkg)}`;
}

/** The SBOM of this release: deno.lock's packages plus the shipped deno binary. */
async function writeSbom(folder: string, options: ReleaseOptions): Promise<void> {
  const lock = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.lock"))) as DenoLock;
  const denoVersion = Deno.version.deno;
  const deno: CycloneDxComponent = {
    type: "application",
    "bom-ref": `pkg:npm/deno@${denoVersion}`,
    name: "deno",
    version: denoVersion,
    scope: "required",
    purl: `pkg:npm/deno@${denoVersion}`,
    hashes: [{ alg: "SHA-256", content: await sha256File(join(folder, "deno")) }],
  };
  const bom = await cycloneDxFromLock(lock, {
    version: options.version,
    epoch: options.epoch,
    runtimeRoots: await runtimeRootsOf("main.ts", ROOT),
    platform: npmPlatform(),
    shippedOptional: [addonPackageName()],
    extraComponents: [deno],
  });
  await Deno.writeTextFile(join(folder, "sbom.cdx.json"), `${JSON.stringify(bom, null, 2)}\n`);
}

/** Builds the release folder (and archive) described by `options`. */
export async function buildRelease(options: ReleaseOptions): Promise<ReleaseResult> {
  const log = options.log ?? (() => {});
  const name = `ferrohsm-${options.version}-${platformName()}`;
  const folder = join(options.outDir, name);
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await Deno.mkdir(folder, { recursive: true });

  log(`bundling main.ts and the launcher into ${folder}`);
  await bundle("main.ts", join(folder, "ferrohsm.js"));
  await bundle("scripts/release_launcher.ts", join(folder, "launcher.js"));
  // The audit writer runs as a worker module of its own (src/storage/sqlite/audit_writer.ts).
  await bundle("src/storage/sqlite/audit_writer_worker.ts", join(folder, "audit_writer_worker.js"));
  // Slow post-quantum and prehashed operations run in a pool of workers (src/core/offload/).
  await bundle("src/core/offload/worker.ts", join(folder, "offload_worker.js"));
  // Policy scripts run in permission-less children of the shipped deno (src/policy/).
  await bundle("src/policy/sandbox_child.ts", join(folder, "policy_sandbox_child.js"));

  const addonName = addonPackageName();
  const addon = libsqlAddonPath(ROOT) as string;
  await copyTree(dirname(addon), join(folder, "node_modules", ...addonName.split("/")));
  await copyTree(join(ROOT, "migrations"), join(folder, "migrations"));
  await Deno.mkdir(join(folder, "static"));
  await copyTree(join(ROOT, "static"), join(folder, "static")).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await copyTree(join(ROOT, "deploy"), join(folder, "deploy"));
  await Deno.mkdir(join(folder, "docs"));
  await Deno.copyFile(join(ROOT, "docs", "operations.md"), join(folder, "docs", "operations.md"));
  await Deno.copyFile(join(ROOT, "README.md"), join(folder, "README.md"));
  await Deno.copyFile(join(ROOT, "scripts", "ferrohsm.sh"), join(folder, "ferrohsm"));
  log(`copying ${Deno.execPath()}`);
  await Deno.copyFile(Deno.execPath(), join(folder, "deno"));
  await writeSbom(folder, options);

  const files = await listFiles(folder);
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256File(join(folder, file))}  ${file}`);
  const sums = `${lines.join("\n")}\n`;
  await Deno.writeTextFile(join(folder, "SHA256SUMS"), sums);
  await normalise(folder, options.epoch);
  if (!options.archive) return { name, folder, sums };

  log(`archiving ${name}.tar.gz`);
  const tar = join(options.outDir, `${name}.tar`);
  await Deno.remove(`${tar}.gz`).catch(() => {});
  await run("tar", [
    "--sort=name",
    `--mtime=@${options.epoch}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--format=posix",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "-C",
    options.outDir,
    "-cf",
    tar,
    name,
  ]);
  await run("gzip", ["-n", tar]);
  const archive = `${tar}.gz`;
  const archiveSha256 = await sha256File(archive);
  await Deno.writeTextFile(`${archive}.sha256`, `${archiveSha256}  ${name}.tar.gz\n`);
  return { name, folder, sums, archive, archiveSha256 };
}

/** Lines that differ between two SHA256SUMS texts. */
export function sumsDiff(a: string, b: string): string[] {
  const left = new Set(a.split("\n"));
  const right = new Set(b.split("\n"));
  return [
    ...[...left].filter((l) => !right.has(l)).map((l) => `- ${l}`),
    ...[...right].filter((l) => !left.has(l)).map((l) => `+ ${l}`),
  ];
}

function say(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      "out-dir": { type: "string" },
      version: { type: "string" },
      "no-archive": { type: "boolean" },
      "verify-reproducible": { type: "boolean" },
      "with-binary": { type: "boolean" },
    },
  });
  const started = performance.now();
  const options: ReleaseOptions = {
    outDir: values["out-dir"] ?? join(ROOT, "dist"),
    version: values.version ?? await defaultVersion(),
    epoch: await sourceDateEpoch(),
    archive: values["no-archive"] !== true,
    log: say,
  };
  if ((await tryRun("git", ["status", "--porcelain"]) ?? "") !== "") {
    say("warning: the work tree has uncommitted changes; the release is not a commit's build");
  }
  const result = await buildRelease(options);
  say(`${result.folder} (SOURCE_DATE_EPOCH=${options.epoch})`);
  if (result.archive !== undefined) say(`${result.archiveSha256}  ${result.archive}`);
  if (values["with-binary"]) {
    const binary = join(options.outDir, `${result.name}-standalone`);
    const code = await compileBinary(binary);
    if (code !== 0) return code;
    const sum = await sha256File(binary);
    await Deno.writeTextFile(`${binary}.sha256`, `${sum}  ${result.name}-standalone\n`);
    say(`${sum}  ${binary}`);
  }
  if (values["verify-reproducible"]) {
    const other = await Deno.makeTempDir({ prefix: "ferrohsm-release-" });
    try {
      const second = await buildRelease({ ...options, outDir: other, log: () => {} });
      const diff = sumsDiff(result.sums, second.sums);
      if (diff.length > 0 || second.archiveSha256 !== result.archiveSha256) {
        say(`NOT reproducible:\n${diff.join("\n")}`);
        say(`archive ${result.archiveSha256} vs ${second.archiveSha256}`);
        return 1;
      }
      say(`reproducible: a second build has the same hashes (${result.archiveSha256 ?? "folder"})`);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  }
  say(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
