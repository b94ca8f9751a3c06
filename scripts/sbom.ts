/**
 * A CycloneDX 1.5 JSON SBOM derived from `deno.lock`: every npm package the lock pins is
 * a component with its purl (`pkg:npm/...`, scopes percent-encoded as the purl spec
 * requires) and the lock's integrity hash, plus the dependency graph. Packages reachable
 * from the program's module graph are `required`; build tools (drizzle-kit and its tree)
 * and other platforms' native addons are `excluded`, since the release does not ship
 * them. The output is a pure function of its inputs (no clock, no random serial), so a
 * release build is reproducible.
 *
 * Run alone: `deno run --allow-read --allow-run --allow-env scripts/sbom.ts [--version V] > sbom.cdx.json`.
 */

import { fromBase64, toHex } from "../src/core/encoding.ts";

/** The parts of a version 4/5 `deno.lock` this module reads. */
export interface DenoLock {
  readonly version: string;
  readonly npm?: Record<string, LockedNpmPackage>;
  readonly workspace?: { readonly dependencies?: readonly string[] };
}

/** One `npm` entry of `deno.lock`. */
export interface LockedNpmPackage {
  readonly integrity?: string;
  readonly dependencies?: readonly string[];
  readonly optionalDependencies?: readonly string[];
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}

/** A CycloneDX hash. */
export interface CycloneDxHash {
  readonly alg: "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
  readonly content: string;
}

/** A CycloneDX component (the subset this SBOM writes). */
export interface CycloneDxComponent {
  readonly type: "application" | "library";
  readonly "bom-ref": string;
  readonly group?: string;
  readonly name: string;
  readonly version: string;
  readonly scope?: "required" | "optional" | "excluded";
  readonly purl?: string;
  readonly hashes?: readonly CycloneDxHash[];
}

/** A CycloneDX 1.5 BOM (the subset this SBOM writes). */
export interface CycloneDxBom {
  readonly bomFormat: "CycloneDX";
  readonly specVersion: "1.5";
  readonly serialNumber: string;
  readonly version: 1;
  readonly metadata: {
    readonly timestamp: string;
    readonly tools: { readonly components: readonly CycloneDxComponent[] };
    readonly component: CycloneDxComponent;
  };
  readonly components: readonly CycloneDxComponent[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: string[] }[];
}

/** What the SBOM describes besides the lock. */
export interface SbomOptions {
  /** The release version of FerroHSM. */
  readonly version: string;
  /** Seconds since the epoch for `metadata.timestamp` (SOURCE_DATE_EPOCH). */
  readonly epoch: number;
  /** Lock ids (`name@version[_peers]`) the program's module graph imports directly. */
  readonly runtimeRoots: readonly string[];
  /** npm `os`/`cpu` values of the target (e.g. `linux`, `x64`). */
  readonly platform: { readonly os: string; readonly cpu: string };
  /**
   * Optional dependencies the release ships (e.g. `@libsql/linux-x64-gnu`); the others
   * (native addons of other platforms or libcs) are `excluded`.
   */
  readonly shippedOptional?: readonly string[];
  /** Components shipped beside the lock's packages (e.g. the deno binary). */
  readonly extraComponents?: readonly CycloneDxComponent[];
}

/** Splits a lock id `@scope/name@1.2.3_peer@4` into name and version. */
export function parseLockId(id: string): { name: string; version: string } {
  const at = id.indexOf("@", 1);
  if (at < 0) throw new RangeError(`Invalid lock package id ${JSON.stringify(id)}`);
  const version = id.slice(at + 1).split("_")[0] ?? "";
  return { name: id.slice(0, at), version };
}

/** The purl of an npm package (`@scope` encoded as `%40scope`). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.startsWith("@") ? `%40${name.slice(1)}` : name}@${version}`;
}

/** Converts an SRI integrity string (`sha512-<base64>`) to CycloneDX hashes. */
export function integrityHashes(integrity: string | undefined): CycloneDxHash[] {
  const algs = { sha1: "SHA-1", sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;
  const hashes: CycloneDxHash[] = [];
  for (const part of (integrity ?? "").split(/\s+/)) {
    const dash = part.indexOf("-");
    const alg = algs[part.slice(0, dash) as keyof typeof algs];
    if (dash < 0 || alg === undefined) continue;
    const bytes = fromBase64(part.slice(dash + 1));
    if (bytes !== undefined) hashes.push({ alg, content: toHex(bytes) });
  }
  return hashes;
}

/** Resolves a dependency reference inside the lock (`name` or `name@version`) to a lock id. */
function resolveRef(ref: string, ids: readonly string[]): string | undefined {
  if (ref.indexOf("@", 1) > 0) return ids.includes(ref) ? ref : undefined;
  return ids.find((id) => parseLockId(id).name === ref);
}

function dependencyIds(
  pkg: LockedNpmPackage,
  ids: readonly string[],
  optional: (name: string) => boolean = () => true,
): string[] {
  const refs = [...(pkg.dependencies ?? []), ...(pkg.optionalDependencies ?? []).filter(optional)];
  return refs.map((ref) => resolveRef(ref, ids)).filter((id) => id !== undefined);
}

function fitsPlatform(pkg: LockedNpmPackage, platform: SbomOptions["platform"]): boolean {
  return (pkg.os === undefined || pkg.os.includes(platform.os)) &&
    (pkg.cpu === undefined || pkg.cpu.includes(platform.cpu));
}

/** A deterministic RFC 4122-shaped URN from a digest (version nibble 8: custom). */
async function serialFrom(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const b = digest.slice(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = toHex(b);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
    hex.slice(16, 20)
  }-${hex.slice(20)}`;
}

/** Builds the CycloneDX BOM for `lock`. */
export async function cycloneDxFromLock(
  lock: DenoLock,
  options: SbomOptions,
): Promise<CycloneDxBom> {
  const npm = lock.npm ?? {};
  const ids = Object.keys(npm).sort();
  const shipped = new Set(options.shippedOptional ?? []);
  const required = new Set<string>();
  const pending = [...options.runtimeRoots];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    const pkg = npm[id];
    if (pkg === undefined || required.has(id) || !fitsPlatform(pkg, options.platform)) continue;
    required.add(id);
    pending.push(...dependencyIds(pkg, ids, (ref) => shipped.has(ref.replace(/(.)@.*$/, "$1"))));
  }
  const components: CycloneDxComponent[] = ids.map((id) => {
    const { name, version } = parseLockId(id);
    const slash = name.startsWith("@") ? name.indexOf("/") : -1;
    const purl = npmPurl(name, version);
    return {
      type: "library",
      "bom-ref": purl,
      ...(slash > 0 ? { group: name.slice(0, slash), name: name.slice(slash + 1) } : { name }),
      version,
      scope: required.has(id) ? "required" : "excluded",
      purl,
      hashes: integrityHashes(npm[id]?.integrity),
    };
  });
  components.push(...(options.extraComponents ?? []));
  const refOf = (id: string) => npmPurl(parseLockId(id).name, parseLockId(id).version);
  const appRef = `pkg:generic/ferrohsm@${options.version}`;
  const rootIds = [...new Set(options.runtimeRoots)].filter((id) => id in npm).sort();
  const dependencies = [
    {
      ref: appRef,
      dependsOn: [
        ...rootIds.map(refOf),
        ...(options.extraComponents ?? []).map((c) => c["bom-ref"]),
      ].sort(),
    },
    ...ids.map((id) => ({
      ref: refOf(id),
      dependsOn: [...new Set(dependencyIds(npm[id] ?? {}, ids).map(refOf))].sort(),
    })),
  ];
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: await serialFrom(`${options.version}\n${JSON.stringify(lock)}`),
    version: 1,
    metadata: {
      timestamp: new Date(options.epoch * 1000).toISOString().replace(/\.000Z$/, "Z"),
      tools: {
        components: [{
          type: "application",
          "bom-ref": "ferrohsm-sbom",
          name: "ferrohsm scripts/sbom.ts",
          version: options.version,
        }],
      },
      component: {
        type: "application",
        "bom-ref": appRef,
        name: "ferrohsm",
        version: options.version,
        purl: appRef,
      },
    },
    components,
    dependencies,
  };
}

/** Lock ids of the npm packages that `entry`'s module graph imports (via `deno info`). */
export async function runtimeRootsOf(entry: string, cwd: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { kind?: string; npmPackage?: string }[];
  };
  const roots = new Set<string>();
  for (const m of info.modules) {
    if (m.kind === "npm" && m.npmPackage !== undefined) roots.add(m.npmPackage);
  }
  return [...roots].sort();
}

/** npm's `os`/`cpu` names for this host. */
export function npmPlatform(): { os: string; cpu: string } {
  return {
    os: Deno.build.os === "windows" ? "win32" : Deno.build.os,
    cpu: Deno.build.arch === "aarch64" ? "arm64" : "x64",
  };
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const versionFlag = Deno.args.indexOf("--version");
  const version = versionFlag >= 0 ? Deno.args[versionFlag + 1] ?? "0.0.0" : "0.0.0";
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root))) as DenoLock;
  const bom = await cycloneDxFromLock(lock, {
    version,
    epoch: Number(Deno.env.get("SOURCE_DATE_EPOCH") ?? 0),
    runtimeRoots: await runtimeRootsOf("main.ts", decodeURIComponent(root.pathname)),
    platform: npmPlatform(),
  });
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(bom, null, 2)}\n`));
}
