/**
 * What every TUI screen shares, through one React context: the API client, theme, key
 * bindings, the body's size, the status line (`notify`/`report`, which escape server
 * text), confirmations, the editing flag that turns global keys off while a text field
 * has the keyboard, and the clipboard/file outputs (injectable for tests).
 */

import { createContext, useContext } from "react";
import type { AuditVerificationJson } from "../../contract/audit.ts";
import type { Bindings } from "../key_bindings.ts";
import type { Theme } from "../theme.ts";
import type { TuiClient } from "../tui_client.ts";

/** The kind of a status line message. */
export type NoticeKind = "info" | "ok" | "error";

/** Services of the running TUI. */
export interface TuiServices {
  readonly client: TuiClient;
  readonly theme: Theme;
  readonly bindings: Bindings;
  /** Columns and rows of the screen body. */
  readonly width: number;
  readonly height: number;
  /** Seconds between refreshes (health, audit live tail). */
  readonly refreshSeconds: number;
  /** Milliseconds since the epoch now. */
  readonly clock: () => number;
  /** Shows `text` (escaped) on the status line. */
  readonly notify: (text: string, kind?: NoticeKind) => void;
  /** Shows an error (an API error as `code: message`, escaped) on the status line. */
  readonly report: (err: unknown) => void;
  /** Asks `question`; runs `onYes` when the user confirms. */
  readonly confirm: (question: string, onYes: () => Promise<void> | void) => void;
  /** True while a screen's text field has the keyboard (global keys off). */
  readonly setEditing: (editing: boolean) => void;
  /** Opens the Crypto screen on `keyId`. */
  readonly useKeyForCrypto: (keyId: string) => void;
  /** Copies `text` to the terminal's clipboard (OSC 52). */
  readonly copy: (text: string) => void;
  /** Writes `data` to `path` (mode 0600). */
  readonly saveFile: (path: string, data: Uint8Array) => Promise<void>;
  /** Remembers the last audit verification (the Health screen shows it). */
  readonly verified: (result: AuditVerificationJson, atMs: number) => void;
  /** The last audit verification of this session. */
  readonly lastVerification: { result: AuditVerificationJson; atMs: number } | undefined;
}

/** What the app tells each screen. */
export interface ScreenProps {
  /** The screen has the keyboard (shown, no dialog open). */
  readonly active: boolean;
  /** The screen is the current one (loads and refreshes only then). */
  readonly visible: boolean;
  /** Increments on every refresh key press. */
  readonly refreshTick: number;
}

/** The context carrying `TuiServices`. */
export const TuiContext = createContext<TuiServices | null>(null);

/** The running TUI's services. @throws TypeError outside a `TuiContext` provider */
export function useTui(): TuiServices {
  const services = useContext(TuiContext);
  if (services === null) throw new TypeError("useTui needs a TuiContext provider");
  return services;
}
