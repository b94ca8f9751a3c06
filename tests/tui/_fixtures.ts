/**
 * Fixed API answers for the TUI tests, with hostile strings (ESC, BEL, CR, C1 controls
 * and bidi overrides) in server-controlled fields, and a token minted with a chosen
 * `exp` (unsigned: the TUI only decodes it).
 */

import { toBase64Url, utf8 } from "../../src/core/encoding.ts";
import type { SeenRequest } from "./_harness.ts";

/** A key name a hostile server (or a hostile user of it) might return. */
export const EVIL = "evil\x1b[31m\x07\r\x9b2J\u202egnp.exe\u2066";

/** Characters that must never reach the terminal raw (besides the theme's own SGR). */
// deno-lint-ignore no-control-regex -- the point of the check
export const RAW_CONTROLS = /[\x07\r\x80-\x9f\u202a-\u202e\u2066-\u2069]|\x1b(?!\[[0-9;]*m)/;

/** A JWT-shaped token for `sub` expiring `seconds` from `nowMs`. */
export function tokenExpiringIn(sub: string, seconds: number, nowMs = Date.now()): string {
  const part = (v: unknown) => toBase64Url(utf8(JSON.stringify(v)));
  const exp = Math.floor(nowMs / 1000) + seconds;
  return `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, exp, iat: exp - 300 })}.c2ln`;
}

const T = "2026-01-02T03:04:05.000Z";

/** Two keys, one with a hostile name. */
export const KEYS = [
  {
    id: "11111111-aaaa-4bbb-8ccc-000000000001",
    name: "payments",
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: { env: "prod" },
    state: "active",
    current_version: 2,
    dual_control: false,
    created_at: T,
    updated_at: T,
  },
  {
    id: "22222222-aaaa-4bbb-8ccc-000000000002",
    name: EVIL,
    algorithm: "EC-P256",
    usage: ["sign", "verify"],
    tags: {},
    state: "revoked",
    current_version: 1,
    dual_control: false,
    created_at: T,
    updated_at: T,
  },
];

const APPROVAL = {
  id: "33333333-aaaa-4bbb-8ccc-000000000003",
  action: "destroy",
  key_id: KEYS[0]?.id ?? "",
  requested_by: `mallory${EVIL}`,
  approvals: [],
  quorum: 1,
  state: "pending",
  created_at: T,
  expires_at: "2999-01-01T00:00:00.000Z",
};

const AUDIT = [1, 2, 3].map((seq) => ({
  seq,
  ts: T,
  actor: seq === 2 ? EVIL : "alice",
  action: seq === 3 ? "key.rotate" : "key.list",
  key_id: seq === 3 ? KEYS[0]?.id ?? null : null,
  result: "ok",
  payload_hash: "a".repeat(64),
  prev_hash: String(seq).repeat(64),
  mac: "b".repeat(96),
}));

/** The Prometheus text the fixed server answers on /metrics. */
export const METRICS = `# HELP ferrohsm_http_requests_total HTTP requests
# TYPE ferrohsm_http_requests_total counter
ferrohsm_http_requests_total{route="/api/v1/keys",method="GET",status="200"} 90
ferrohsm_http_requests_total{route="/api/v1/keys",method="POST",status="403"} 7
ferrohsm_http_requests_total{route="/api/v1/keys/:id",method="GET",status="500"} 3
ferrohsm_uptime_seconds 3725
ferrohsm_self_test_passed 1
ferrohsm_audit_head_seq 3
ferrohsm_cache_hits_total{cache="key"} 30
ferrohsm_cache_misses_total{cache="key"} 10
ferrohsm_approvals{state="pending"} 1
ferrohsm_rate_limited_total{scope="actor"} 4
process_resident_memory_bytes 104857600
`;

/** The health document. */
export const HEALTH = {
  status: "ok",
  uptime_s: 3725,
  self_test: "passed",
  audit_head_seq: 3,
  rate_limiter: { actor: { actors: 2 } },
  stores: { key: { kind: "sqlite", ok: true, latency_ms: 0.4 } },
};

/** Answers every endpoint the TUI calls; `token` is the one accepted (any when undefined). */
export function fixedApi(
  token?: string,
): (req: SeenRequest) => { status?: number; json?: unknown; text?: string } {
  return (req) => {
    if (req.path === "/healthz") return { json: HEALTH };
    if (token !== undefined && req.auth !== `Bearer ${token}`) {
      return {
        status: 401,
        json: { error: { code: "unauthenticated", message: "Invalid token" } },
      };
    }
    if (req.path === "/metrics") return { text: METRICS };
    const [path] = req.path.split("?");
    if (path === "/api/v1/keys" && req.method === "GET") {
      return { json: { items: KEYS, page: 1, per_page: 100, total: KEYS.length } };
    }
    if (path === "/api/v1/keys" && req.method === "POST") {
      return {
        status: 201,
        json: { ...KEYS[0], id: "44444444-aaaa-4bbb-8ccc-000000000004", name: "new-key" },
      };
    }
    const key = KEYS.find((k) => path?.startsWith(`/api/v1/keys/${k.id}`)) ??
      (path?.startsWith("/api/v1/keys/44444444")
        ? { ...KEYS[0], id: "44444444-aaaa-4bbb-8ccc-000000000004", name: "new-key" }
        : undefined);
    if (key !== undefined) {
      if (path?.endsWith("/versions")) {
        return {
          json: {
            items: [
              { version: 1, state: "active", created_at: T },
              { version: 2, state: "active", created_at: T },
            ],
          },
        };
      }
      if (path?.endsWith("/rotate")) return { json: { ...key, current_version: 3 } };
      if (path?.endsWith("/encrypt")) return { json: { ciphertext: "fhsm:v2:QUJD", version: 2 } };
      if (path?.endsWith("/sign")) return { json: { signature: "c2lnbmF0dXJl", version: 1 } };
      if (req.method === "DELETE") return { status: 202, json: APPROVAL };
      return { json: key };
    }
    if (path === "/api/v1/approvals") {
      return { json: { items: [APPROVAL], page: 1, per_page: 100, total: 1 } };
    }
    if (path?.startsWith("/api/v1/approvals/")) return { json: { ...APPROVAL, state: "executed" } };
    if (path === "/api/v1/audit") return { json: { items: AUDIT } };
    if (path === "/api/v1/audit/verify") {
      return { json: { valid: true, entries: 3, head: "c".repeat(64) } };
    }
    return { status: 404, json: { error: { code: "not_found", message: "No such route" } } };
  };
}
