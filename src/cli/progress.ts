/**
 * Progress for long operations, on stderr and only when stderr is a terminal: a
 * spinner while a request waits (e.g. RSA-4096 generation) and an entries counter for
 * offline audit verification. Pipes, files and tests see nothing.
 */

import type { Output } from "./output.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR_LINE = "\r\x1b[2K";

/** Something to stop once the operation is over. */
export interface Progress {
  /** Erases the progress line. */
  stop(): void;
}

/**
 * Shows `label` with a spinner after `delayMs` (so fast operations never flicker),
 * until `stop()`. Does nothing when `err` is not a terminal.
 */
export function spinner(err: Output, label: string, delayMs = 200): Progress {
  if (!err.isTerminal) return { stop() {} };
  let frame = 0;
  let shown = false;
  let interval: ReturnType<typeof setInterval> | undefined;
  const timeout = setTimeout(() => {
    shown = true;
    interval = setInterval(() => {
      err.text(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label}`);
    }, 80);
  }, delayMs);
  return {
    stop() {
      clearTimeout(timeout);
      if (interval !== undefined) clearInterval(interval);
      if (shown) err.text(CLEAR_LINE);
    },
  };
}

/** A counter line (`label: N`) updated in place; does nothing when not a terminal. */
export function counter(err: Output, label: string): Progress & { update(n: number): void } {
  if (!err.isTerminal) return { update() {}, stop() {} };
  let shown = false;
  return {
    update(n: number) {
      shown = true;
      err.text(`${CLEAR_LINE}${label}: ${n}`);
    },
    stop() {
      if (shown) err.text(CLEAR_LINE);
    },
  };
}

/** Runs `work` with a spinner labelled `label` on `err`. */
export async function withSpinner<T>(err: Output, label: string, work: Promise<T>): Promise<T> {
  const progress = spinner(err, label);
  try {
    return await work;
  } finally {
    progress.stop();
  }
}
