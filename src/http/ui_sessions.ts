/**
 * Server-side sessions of the web dashboard. A session is opened after a successful
 * sign-in (a verified token or a mapped client certificate) and is found again by the
 * random id in its cookie. The store keeps only a SHA-256 digest of each id, so a
 * memory dump or a log line of the map never yields a usable cookie.
 *
 * Bounds: an absolute lifetime (`ttlMs`) and an idle timeout (`idleMs`) per session, at
 * most `maxPerActor` sessions per actor (the oldest is closed) and `maxSessions` in all
 * (expired ones are purged first, then the least recently used is dropped), so memory
 * stays bounded whatever signs in. Sessions live in process memory: a restart signs
 * everyone out. Each session carries its own CSRF synchronizer token.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import type { Actor } from "../access/guard.ts";
import { toBase64Url, toHex, utf8 } from "../core/encoding.ts";

/** How the session was opened. */
export type SignInMethod = "token" | "certificate";

/** One open session, as middleware and pages see it. */
export interface UiSession {
  readonly actor: Actor;
  /** The CSRF synchronizer token (forms and the `X-CSRF-Token` header carry it). */
  readonly csrfToken: string;
  readonly via: SignInMethod;
  /** The mTLS client certificate (`x5t#S256`) the session is bound to, if any. */
  readonly certThumbprint?: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly expiresAt: number;
  /** A short, non-secret label for audit payloads and logs (digest prefix). */
  readonly ref: string;
}

/** Options of the session store. */
export interface SessionStoreOptions {
  /** Absolute lifetime in milliseconds (default 1 hour). */
  readonly ttlMs?: number;
  /** Idle timeout in milliseconds (default 15 minutes). */
  readonly idleMs?: number;
  /** Sessions held at most (default 10 000). */
  readonly maxSessions?: number;
  /** Sessions per actor at most (default 16). */
  readonly maxPerActor?: number;
  /** Current time in epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
}

/** Figures for metrics and the overview. */
export interface SessionStats {
  readonly open: number;
  readonly opened: number;
  readonly expired: number;
  readonly evicted: number;
}

interface Entry {
  session: UiSession;
  lastSeen: number;
}

const COOKIE_VALUE_RE = /^[A-Za-z0-9_-]{43}$/;

/** The in-memory session store. */
export class SessionStore {
  readonly #ttlMs: number;
  readonly #idleMs: number;
  readonly #maxSessions: number;
  readonly #maxPerActor: number;
  readonly #clock: () => number;
  /** Digest → entry, least recently used first. */
  readonly #entries = new Map<string, Entry>();
  #opened = 0;
  #expired = 0;
  #evicted = 0;

  /** @throws RangeError for a non-positive bound */
  constructor(options: SessionStoreOptions = {}) {
    this.#ttlMs = positive(options.ttlMs ?? 3_600_000, "ttlMs");
    this.#idleMs = positive(options.idleMs ?? 900_000, "idleMs");
    this.#maxSessions = positive(options.maxSessions ?? 10_000, "maxSessions");
    this.#maxPerActor = positive(options.maxPerActor ?? 16, "maxPerActor");
    this.#clock = options.clock ?? Date.now;
  }

  /** Absolute lifetime in milliseconds (the cookie's Max-Age). */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Opens a session; returns the cookie value (shown once, never stored) and the session. */
  open(
    actor: Actor,
    options: { via: SignInMethod; certThumbprint?: string | undefined },
  ): { cookie: string; session: UiSession } {
    const now = this.#clock();
    const cookie = randomToken();
    const digest = digestOf(cookie);
    const session: UiSession = {
      actor: { id: actor.id, roles: [...actor.roles] },
      csrfToken: randomToken(),
      via: options.via,
      ...(options.certThumbprint === undefined ? {} : { certThumbprint: options.certThumbprint }),
      createdAt: now,
      expiresAt: now + this.#ttlMs,
      ref: digest.slice(0, 12),
    };
    this.#makeRoom(actor.id, now);
    this.#entries.set(digest, { session, lastSeen: now });
    this.#opened++;
    return { cookie, session };
  }

  /**
   * The live session for a cookie value, or undefined (unknown, malformed, expired or
   * idle too long; a dead session is removed). `touch: false` reads without counting as
   * activity (background polling must not keep an unattended session alive).
   */
  lookup(cookie: string | undefined, options: { touch?: boolean } = {}): UiSession | undefined {
    if (cookie === undefined || !COOKIE_VALUE_RE.test(cookie)) return undefined;
    const digest = digestOf(cookie);
    const entry = this.#entries.get(digest);
    if (entry === undefined) return undefined;
    const now = this.#clock();
    if (!this.#alive(entry, now)) {
      this.#entries.delete(digest);
      this.#expired++;
      return undefined;
    }
    if (options.touch ?? true) {
      entry.lastSeen = now;
      this.#entries.delete(digest);
      this.#entries.set(digest, entry);
    }
    return entry.session;
  }

  /** Closes the session of a cookie value; true when one was open. */
  close(cookie: string | undefined): boolean {
    if (cookie === undefined || !COOKIE_VALUE_RE.test(cookie)) return false;
    return this.#entries.delete(digestOf(cookie));
  }

  /** Counters and the number of live sessions (expired ones not yet purged left out). */
  stats(): SessionStats {
    const now = this.#clock();
    let open = 0;
    for (const entry of this.#entries.values()) if (this.#alive(entry, now)) open++;
    return {
      open,
      opened: this.#opened,
      expired: this.#expired,
      evicted: this.#evicted,
    };
  }

  #alive(entry: Entry, now: number): boolean {
    return now < entry.session.expiresAt && now - entry.lastSeen < this.#idleMs;
  }

  /** Enforces the per-actor and global bounds before a new session for `actorId`. */
  #makeRoom(actorId: string, now: number): void {
    const mine: string[] = [];
    for (const [digest, entry] of this.#entries) {
      if (entry.session.actor.id === actorId) mine.push(digest);
    }
    // Map order is least recently used first.
    while (mine.length >= this.#maxPerActor) {
      this.#entries.delete(mine.shift() as string);
      this.#evicted++;
    }
    if (this.#entries.size < this.#maxSessions) return;
    for (const [digest, entry] of this.#entries) {
      if (!this.#alive(entry, now)) {
        this.#entries.delete(digest);
        this.#expired++;
      }
    }
    while (this.#entries.size >= this.#maxSessions) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#evicted++;
    }
  }
}

function randomToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

function digestOf(cookie: string): string {
  return toHex(sha256(utf8(cookie)));
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Session store ${name} must be a positive integer`);
  }
  return value;
}
