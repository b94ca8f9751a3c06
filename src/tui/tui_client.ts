/**
 * The TUI's view of the API: the CLI's `ApiClient` behind typed calls using the
 * contract's answer types. A 401 (or a missing token) asks the UI for a new token
 * through `onTokenNeeded` and retries the call with it, so the screen that made the
 * call keeps its state; concurrent calls share one prompt. The token is held in memory
 * only and sent only to the configured address.
 */

import { ApiClient, type ApiClientOptions, keyPath } from "../cli/api_client.ts";
import { ApiError, UsageError } from "../cli/errors.ts";
import type { ApprovalJson } from "../contract/approvals.ts";
import type { AuditEntryJson, AuditVerificationJson } from "../contract/audit.ts";
import type {
  KeyJson,
  KeyPageJson,
  KeyVersionJson,
  PublicKeyJson,
  StagedKeyJson,
} from "../contract/keys.ts";

/** Asks the user for a token; resolves undefined when the user cancels. */
export type TokenPrompt = (reason: string) => Promise<string | undefined>;

/** A page of approvals. */
export interface ApprovalPageJson {
  readonly items: ApprovalJson[];
  readonly page: number;
  readonly per_page: number;
  readonly total: number;
}

/** The answer of a lifecycle change: the key, or an approval when held for dual control. */
export type ChangeJson = KeyJson | ApprovalJson;

/** Filters of the key list. */
export interface KeyQuery {
  readonly page?: number;
  readonly perPage?: number;
  readonly algorithm?: string;
  readonly state?: string;
  readonly tag?: string;
}

const MAX_PROMPTS = 3;

/** Typed API calls with token renewal on 401. Call `close()` when done. */
export class TuiClient {
  readonly #options: ApiClientOptions;
  #api: ApiClient;
  #token: string | undefined;
  #prompt: TokenPrompt | undefined;
  #pending: Promise<string | undefined> | undefined;
  #changed: (() => void) | undefined;

  /** @throws UsageError for an address that is not an http(s) URL */
  constructor(options: ApiClientOptions) {
    this.#options = options;
    this.#token = options.token === "" ? undefined : options.token;
    this.#api = new ApiClient(options);
  }

  /** The server's base URL. */
  get addr(): string {
    return this.#api.addr;
  }

  /** The current token (for the palette and the expiry flag; never displayed). */
  get token(): string | undefined {
    return this.#token;
  }

  /** Sets the function that asks for a new token after a 401. */
  onTokenNeeded(prompt: TokenPrompt | undefined): void {
    this.#prompt = prompt;
  }

  /** Sets the function told after every token change (the header shows the new one). */
  onTokenChanged(listener: (() => void) | undefined): void {
    this.#changed = listener;
  }

  /** Replaces the token (the next call uses it). */
  setToken(token: string): void {
    this.#api.close();
    this.#token = token;
    this.#api = new ApiClient({ ...this.#options, token });
    this.#changed?.();
  }

  /**
   * Calls an `/api/v1` endpoint; a 401 asks for a new token and retries.
   * @throws ApiError for any other non-2xx answer, or a 401 the user did not fix
   */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return (await this.#api.call<T>(method, path, body)).body;
      } catch (err) {
        const unauthenticated = (err instanceof ApiError && err.status === 401) ||
          (err instanceof UsageError && this.#token === undefined);
        if (!unauthenticated || attempt >= MAX_PROMPTS || !(await this.#renew(err))) throw err;
      }
    }
  }

  /** Fetches `/metrics` (with the token; a 401 asks for a new one). */
  async metricsText(): Promise<string> {
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#api.text("/metrics");
      } catch (err) {
        const retry = err instanceof ApiError && err.status === 401 && attempt < MAX_PROMPTS;
        if (!retry || !(await this.#renew(err))) throw err;
      }
    }
  }

  /** The `/healthz` document (also when degraded, whatever the status code). */
  async health(): Promise<Record<string, unknown>> {
    const res = await this.#api.send("GET", "/healthz");
    const text = await res.text();
    try {
      const doc: unknown = JSON.parse(text);
      if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
        return doc as Record<string, unknown>;
      }
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, "invalid_response", "The server answered no health document");
  }

  /** One page of keys. */
  listKeys(q: KeyQuery): Promise<KeyPageJson> {
    const qs = new URLSearchParams({
      page: String(q.page ?? 1),
      per_page: String(q.perPage ?? 100),
    });
    if (q.algorithm !== undefined) qs.set("algorithm", q.algorithm);
    if (q.state !== undefined) qs.set("state", q.state);
    if (q.tag !== undefined) qs.set("tag", q.tag);
    return this.call("GET", `/api/v1/keys?${qs}`);
  }

  /** One key. */
  getKey(id: string): Promise<KeyJson> {
    return this.call("GET", keyPath(id));
  }

  /** Every version of a key. */
  async versions(id: string): Promise<KeyVersionJson[]> {
    return (await this.call<{ items: KeyVersionJson[] }>("GET", keyPath(id, "/versions"))).items;
  }

  /** The public key of the current version. */
  publicKey(id: string): Promise<PublicKeyJson> {
    return this.call("GET", keyPath(id, "/public"));
  }

  /** Creates a key (staged with its approval under dual control). */
  createKey(body: Record<string, unknown>): Promise<KeyJson | StagedKeyJson> {
    return this.call("POST", "/api/v1/keys", body);
  }

  /** Rotates a key. */
  rotate(id: string): Promise<ChangeJson> {
    return this.call("POST", keyPath(id, "/rotate"));
  }

  /** Rolls a key back to `version`. */
  rollback(id: string, version: number): Promise<ChangeJson> {
    return this.call("POST", keyPath(id, "/rollback"), { version });
  }

  /** Revokes a key. */
  revoke(id: string): Promise<KeyJson> {
    return this.call("POST", keyPath(id, "/revoke"));
  }

  /** Requests destruction (opens an approval). */
  destroy(id: string): Promise<ApprovalJson> {
    return this.call("DELETE", keyPath(id));
  }

  /** Runs `encrypt`, `decrypt`, `sign` or `verify` on a key. */
  crypto<T>(id: string, operation: string, body: Record<string, unknown>): Promise<T> {
    return this.call("POST", keyPath(id, `/${operation}`), body);
  }

  /** One page of approvals in `state` (all states when undefined). */
  approvals(state: string | undefined, page = 1): Promise<ApprovalPageJson> {
    const qs = new URLSearchParams({ page: String(page), per_page: "100" });
    if (state !== undefined) qs.set("state", state);
    return this.call("GET", `/api/v1/approvals?${qs}`);
  }

  /** Approves or denies a request. */
  decide(id: string, decision: "approve" | "deny"): Promise<ApprovalJson> {
    return this.call("POST", `/api/v1/approvals/${encodeURIComponent(id)}/${decision}`);
  }

  /** Audit entries after `afterSeq`. */
  async audit(afterSeq: number, limit: number): Promise<AuditEntryJson[]> {
    const qs = `after_seq=${Math.max(0, Math.floor(afterSeq))}&limit=${limit}`;
    return (await this.call<{ items: AuditEntryJson[] }>("GET", `/api/v1/audit?${qs}`)).items;
  }

  /** Verifies the audit chain on the server. */
  verifyAudit(): Promise<AuditVerificationJson> {
    return this.call("GET", "/api/v1/audit/verify");
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#api.close();
  }

  async #renew(err: unknown): Promise<boolean> {
    if (this.#prompt === undefined) return false;
    const reason = err instanceof ApiError
      ? "The server refused the token (401): enter a new one"
      : "No token: enter one";
    const asked = this.#token;
    this.#pending ??= this.#prompt(reason).finally(() => {
      this.#pending = undefined;
    });
    const token = await this.#pending;
    if (token === undefined || token === "") return false;
    if (token !== asked || this.#token !== token) this.setToken(token);
    return true;
  }
}
