/**
 * The request scenarios of the HTTP benchmarks: what each one sends, which key it needs
 * and which in-process reference it is compared with. Shared by bench/http.ts and
 * bench/profile.ts. Messages and plaintexts are 1 KiB of random bytes, like the
 * references.
 */

import type { Installation } from "../testing/installation.ts";
import { join } from "node:path";
import type { Algorithm } from "../src/domain/algorithms.ts";
import { toBase64 } from "../src/core/encoding.ts";
import { LUA_DIR } from "./_harness.ts";
import type { ReferenceId } from "./_references.ts";

/** One benchmarked request. */
export interface Scenario {
  readonly id: string;
  readonly label: string;
  /** `open`: no token; `api`: bearer token; `create`: unique key per request; `bare`: reference server. */
  readonly kind: "open" | "api" | "create" | "bare";
  readonly method: "GET" | "POST";
  /** The path, given the id of the scenario's key (when it has one). */
  readonly path: (keyId: string) => string;
  /** The key the scenario works on (created before measuring). */
  readonly algorithm?: Algorithm;
  /** The JSON body, or undefined for none. */
  readonly body?: () => unknown;
  /** The in-process reference rate it is compared with. */
  readonly reference?: ReferenceId;
  /**
   * For a floor scenario (the reference server's minimal Hono + Web Crypto route): the
   * product scenario whose floor it is; measured whenever that one is.
   */
  readonly floorOf?: string;
}

const KIB = () => toBase64(crypto.getRandomValues(new Uint8Array(1024)));
const keyPath = (op: string) => (id: string) => `/api/v1/keys/${id}/${op}`;

/** Every scenario, in measuring order (key creation last: it grows the key store). */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: "bare",
    label: "bare Hono GET (reference server)",
    kind: "bare",
    method: "GET",
    path: () => "/",
  },
  {
    id: "floor-aes",
    label: "floor: Hono + Web Crypto AES-GCM 1 KiB, nothing else",
    kind: "bare",
    method: "POST",
    path: () => "/floor/aes",
    body: () => ({ plaintext: KIB() }),
    reference: "aes",
    floorOf: "aes",
  },
  {
    id: "floor-hmac",
    label: "floor: Hono + Web Crypto HMAC 1 KiB, nothing else",
    kind: "bare",
    method: "POST",
    path: () => "/floor/hmac",
    body: () => ({ message: KIB() }),
    reference: "hmac",
    floorOf: "hmac",
  },
  {
    id: "floor-ec",
    label: "floor: Hono + Web Crypto P-256 sign 1 KiB, nothing else",
    kind: "bare",
    method: "POST",
    path: () => "/floor/ec-sign",
    body: () => ({ message: KIB() }),
    reference: "ecdsa",
    floorOf: "ec",
  },
  {
    id: "floor-create",
    label: "floor: Hono + Web Crypto P-256 keygen, PKCS#8 and SPKI export, AES-GCM",
    kind: "bare",
    method: "POST",
    path: () => "/floor/create",
    body: () => ({ name: "floor", algorithm: "EC-P256" }),
    reference: "ecKeygen",
    floorOf: "create",
  },
  {
    id: "readyz",
    label: "GET /readyz (no auth, no store)",
    kind: "open",
    method: "GET",
    path: () => "/readyz",
  },
  {
    id: "healthz",
    label: "GET /healthz (no auth; checks cached for 1 s)",
    kind: "open",
    method: "GET",
    path: () => "/healthz",
  },
  {
    id: "aes",
    label: "AES-256-GCM encrypt 1 KiB",
    kind: "api",
    method: "POST",
    path: keyPath("encrypt"),
    algorithm: "AES-256-GCM",
    body: () => ({ plaintext: KIB() }),
    reference: "aes",
  },
  {
    id: "hmac",
    label: "HMAC-SHA256 1 KiB",
    kind: "api",
    method: "POST",
    path: keyPath("mac"),
    algorithm: "HMAC-SHA256",
    body: () => ({ message: KIB() }),
    reference: "hmac",
  },
  {
    id: "ec",
    label: "EC-P256 sign 1 KiB",
    kind: "api",
    method: "POST",
    path: keyPath("sign"),
    algorithm: "EC-P256",
    body: () => ({ message: KIB() }),
    reference: "ecdsa",
  },
  {
    id: "ed25519",
    label: "Ed25519 sign 1 KiB",
    kind: "api",
    method: "POST",
    path: keyPath("sign"),
    algorithm: "Ed25519",
    body: () => ({ message: KIB() }),
    reference: "ed25519",
  },
  {
    id: "rsa",
    label: "RSA-2048 sign 1 KiB (PKCS#1 v1.5)",
    kind: "api",
    method: "POST",
    path: keyPath("sign"),
    algorithm: "RSA-2048",
    body: () => ({ message: KIB() }),
    reference: "rsa",
  },
  {
    id: "mlkem",
    label: "ML-KEM-768 encapsulate",
    kind: "api",
    method: "POST",
    path: keyPath("encapsulate"),
    algorithm: "ML-KEM-768",
    reference: "mlkem",
  },
  {
    id: "mldsa",
    label: "ML-DSA-65 sign 1 KiB",
    kind: "api",
    method: "POST",
    path: keyPath("sign"),
    algorithm: "ML-DSA-65",
    body: () => ({ message: KIB() }),
    reference: "mldsa",
  },
  {
    id: "list",
    label: "list keys (GET /api/v1/keys, 20 per page)",
    kind: "api",
    method: "GET",
    path: () => "/api/v1/keys?per_page=20",
  },
  {
    id: "create",
    label: "create key EC-P256 (POST /api/v1/keys)",
    kind: "create",
    method: "POST",
    path: () => "/api/v1/keys",
    reference: "ecKeygen",
  },
];

/** The scenario with `id`. @throws TypeError for an unknown id */
export function scenario(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) {
    throw new TypeError(`unknown scenario ${id}: expected ${SCENARIOS.map((x) => x.id).join(",")}`);
  }
  return s;
}

/** A scenario bound to a server: the files and key it needs, as wrk script arguments. */
export interface PreparedScenario {
  readonly scenario: Scenario;
  readonly script: string;
  /** Fresh script arguments (a new token file: tokens live at most 300 s). */
  args(): Promise<string[]>;
}

/** Admin JSON call used while preparing. */
async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** The roles of the benchmark's caller: create keys and use them. */
export const BENCH_ROLES = ["Administrator", "Service"] as const;

/** Creates the scenario's key (if any) on the server at `url` and writes its body file. */
export async function prepareScenario(
  s: Scenario,
  url: string,
  inst: Installation,
): Promise<PreparedScenario> {
  if (s.kind === "bare" || s.kind === "open") {
    const path = s.path("");
    const bodyFile = await bodyFileOf(s, inst);
    return {
      scenario: s,
      script: join(LUA_DIR, "request.lua"),
      args: () => Promise.resolve([s.method, path, "-", bodyFile]),
    };
  }
  if (s.kind === "create") {
    return {
      scenario: s,
      script: join(LUA_DIR, "create_key.lua"),
      args: async () => [await inst.tokenFile("bench", BENCH_ROLES), "EC-P256"],
    };
  }
  let keyId = "";
  if (s.algorithm !== undefined) {
    const admin = await inst.token("bench-admin", ["Administrator"]);
    const key = await api(url, admin, "POST", "/api/v1/keys", {
      name: `bench-${s.id}`,
      algorithm: s.algorithm,
    });
    keyId = key.id as string;
  }
  const bodyFile = await bodyFileOf(s, inst);
  const path = s.path(keyId);
  return {
    scenario: s,
    script: join(LUA_DIR, "request.lua"),
    args: async () => [s.method, path, await inst.tokenFile("bench", BENCH_ROLES), bodyFile],
  };
}

/** Writes the scenario's JSON body to a file for wrk ("-" when it has none). */
async function bodyFileOf(s: Scenario, inst: Installation): Promise<string> {
  return s.body === undefined
    ? "-"
    : await inst.writeFile(`${s.id}.json`, JSON.stringify(s.body()));
}
