/**
 * A pseudo-terminal for TUI tests: Ink renders into a fake stdout of a chosen size
 * (resizable) and reads keys from a fake stdin; `frame()` is the last frame with the
 * theme's SGR colour codes removed, `raw()` keeps them. Plus a fixed-answer API server on
 * 127.0.0.1 and helpers to wait for a frame.
 */

import { EventEmitter } from "node:events";
import { render } from "ink";
import type { ReactElement } from "react";

class FakeStdout extends EventEmitter {
  columns: number;
  rows: number;
  isTTY = true;
  last = "";
  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write = (frame: string): boolean => {
    this.last = frame;
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  #data: string | null = null;
  write(data: string): void {
    this.#data = data;
    this.emit("readable");
    this.emit("data", data);
  }
  read = (): string | null => {
    const data = this.#data;
    this.#data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

// deno-lint-ignore no-control-regex -- removing SGR sequences
const SGR = /\x1b\[[0-9;]*m/g;

/** Key sequences as a terminal sends them. */
export const KEYS = {
  enter: "\r",
  escape: "\x1b",
  tab: "\t",
  shiftTab: "\x1b[Z",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  backspace: "\x7f",
  ctrlT: "\x14",
} as const;

/** A rendered TUI. */
export interface Screen {
  /** The last frame without colour codes. */
  frame(): string;
  /** The last frame as written. */
  raw(): string;
  /** Sends keys, then lets the app settle. */
  press(...keys: string[]): Promise<void>;
  /** Resizes the fake terminal. */
  resize(columns: number, rows: number): Promise<void>;
  /** Waits until the frame matches `pattern` (bounded) and its keys are live; returns it. */
  waitFor(pattern: RegExp | string, what?: string): Promise<string>;
  unmount(): void;
}

/** Lets timers, fetches and renders run. */
export function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Renders `element` on a `columns`×`rows` fake terminal. */
export function renderTui(element: ReactElement, columns = 80, rows = 24): Screen {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(element, {
    // deno-lint-ignore no-explicit-any -- fake streams stand in for node streams
    stdout: stdout as any,
    // deno-lint-ignore no-explicit-any -- fake streams stand in for node streams
    stdin: stdin as any,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const screen: Screen = {
    frame: () => stdout.last.replace(SGR, ""),
    raw: () => stdout.last,
    async press(...keys) {
      for (const key of keys) {
        stdin.write(key);
        await settle(15);
      }
      await settle();
    },
    async resize(c, r) {
      stdout.columns = c;
      stdout.rows = r;
      stdout.emit("resize");
      await settle();
    },
    async waitFor(pattern, what) {
      for (let i = 0; i < 200; i++) {
        const f = screen.frame();
        if (typeof pattern === "string" ? f.includes(pattern) : pattern.test(f)) {
          // A new view's key handlers attach in React's passive effects, after the frame.
          await settle(100);
          return screen.frame();
        }
        await settle(20);
      }
      throw new Error(
        `timed out waiting for ${what ?? String(pattern)}; frame:\n${screen.frame()}`,
      );
    },
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
  return screen;
}

/** A request the fixed server saw. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly auth: string | null;
  readonly body: unknown;
}

/** A server on 127.0.0.1 answering from `answer`; `stop()` in a finally. */
export function fixedServer(
  answer: (req: SeenRequest) => { status?: number; json?: unknown; text?: string },
): { url: string; seen: SeenRequest[]; stop: () => Promise<void> } {
  const seen: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    const r: SeenRequest = {
      method: req.method,
      path: url.pathname + url.search,
      auth: req.headers.get("authorization"),
      body: text === "" ? undefined : JSON.parse(text),
    };
    seen.push(r);
    const a = answer(r);
    if (a.text !== undefined) return new Response(a.text, { status: a.status ?? 200 });
    return Response.json(a.json ?? {}, { status: a.status ?? 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    stop: () => server.shutdown(),
  };
}
