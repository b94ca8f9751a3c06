/**
 * The TUI's root component: header, the five screens (all kept mounted, only the current
 * one shown, so switching or a dialog never loses what a screen holds), the dialogs
 * (help, command palette, confirmation, token prompt) and the footer. Global keys work
 * while no text field has the keyboard; ctrl+c always quits. Errors from the server
 * reach the status line escaped.
 */

import { Box, useApp, useInput, useWindowSize } from "ink";
import { createElement as h, type ReactElement, useEffect, useMemo, useState } from "react";
import type { AuditVerificationJson } from "../contract/audit.ts";
import { ApiError } from "../cli/errors.ts";
import { type ActionName, isAction, keyName } from "./key_bindings.ts";
import { monochrome, nextThemeName, type ThemeName, themeNamed } from "./theme.ts";
import type { TuiClient } from "./tui_client.ts";
import type { TuiConfig } from "./tui_config.ts";
import { Footer, Header, type ScreenId, SCREENS } from "./ui/chrome.ts";
import { type NoticeKind, TuiContext, type TuiServices } from "./ui/context.ts";
import { ConfirmDialog, HelpOverlay, TokenPrompt } from "./ui/overlays.ts";
import { CommandPalette, type CommandRunner } from "./ui/palette.ts";
import { ApprovalsScreen } from "./screens/approvals_screen.ts";
import { AuditScreen } from "./screens/audit_screen.ts";
import { CryptoScreen } from "./screens/crypto_screen.ts";
import { HealthScreen } from "./screens/health_screen.ts";
import { KeysScreen } from "./screens/keys_screen.ts";

/** What the TUI needs from outside (all I/O injectable for tests). */
export interface TuiAppProps {
  readonly client: TuiClient;
  readonly config: TuiConfig;
  /** Runs CLI command lines for the palette. */
  readonly run: CommandRunner;
  readonly clock?: () => number;
  /** Writes to the terminal's clipboard (default: none). */
  readonly copy?: (text: string) => void;
  readonly saveFile?: (path: string, data: Uint8Array) => Promise<void>;
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** Drop colours (NO_COLOR). */
  readonly noColor?: boolean;
}

type Overlay =
  | { kind: "help" }
  | { kind: "palette" }
  | { kind: "confirm"; question: string; onYes: () => Promise<void> | void }
  | { kind: "token"; reason: string; resolve: (token: string | undefined) => void };

/** A message for the status line from any error. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The TUI. */
export function TuiApp(props: TuiAppProps): ReactElement {
  const { exit } = useApp();
  const size = useWindowSize();
  const [screen, setScreen] = useState<ScreenId>("keys");
  const [themeName, setThemeName] = useState<ThemeName>(props.config.theme);
  const [overlays, setOverlays] = useState<Overlay[]>([]);
  const [notice, setNotice] = useState<{ text: string; kind: NoticeKind } | undefined>();
  const [editing, setEditing] = useState(false);
  const [refreshTick, setRefreshTick] = useState(0);
  const [tokenChanges, setTokenChanges] = useState(0);
  const [cryptoKey, setCryptoKey] = useState<string | undefined>();
  const [lastVerification, setLastVerification] = useState<
    { result: AuditVerificationJson; atMs: number } | undefined
  >();
  const overlay = overlays.at(-1);
  const push = (o: Overlay) => setOverlays((list) => [...list, o]);
  const pop = () => setOverlays((list) => list.slice(0, -1));

  useEffect(() => {
    props.client.onTokenNeeded((reason) =>
      new Promise((resolve) => push({ kind: "token", reason, resolve }))
    );
    props.client.onTokenChanged(() => setTokenChanges((n) => n + 1));
    return () => {
      props.client.onTokenNeeded(undefined);
      props.client.onTokenChanged(undefined);
    };
  }, [props.client]);

  const theme = props.noColor === true ? monochrome(themeNamed(themeName)) : themeNamed(themeName);
  const width = Math.max(40, size.columns);
  const height = Math.max(6, size.rows - 4);
  const services: TuiServices = useMemo(() => ({
    client: props.client,
    theme,
    bindings: props.config.bindings,
    width,
    height,
    refreshSeconds: props.config.refreshSeconds,
    clock: props.clock ?? Date.now,
    notify: (text, kind = "info") => setNotice({ text, kind }),
    report: (err) => setNotice({ text: errorText(err), kind: "error" }),
    confirm: (question, onYes) => push({ kind: "confirm", question, onYes }),
    setEditing,
    useKeyForCrypto: (id) => {
      setCryptoKey(id);
      setScreen("crypto");
    },
    copy: props.copy ?? (() => {}),
    saveFile: props.saveFile ?? ((path, data) => Deno.writeFile(path, data, { mode: 0o600 })),
    verified: (result, atMs) => setLastVerification({ result, atMs }),
    lastVerification,
  }), [theme, width, height, lastVerification, props.client, props.config]);

  const go = (delta: number) => {
    const i = SCREENS.findIndex((s) => s.id === screen);
    setScreen(SCREENS[(i + delta + SCREENS.length) % SCREENS.length]?.id ?? "keys");
  };
  useInput((input, key) => {
    if (key.ctrl && input === "c") exit();
  });
  useInput((input, key) => {
    const name = keyName(input, key);
    const is = (a: ActionName) => isAction(props.config.bindings, a, name);
    if (is("quit")) return exit();
    if (is("help")) return push({ kind: "help" });
    if (is("palette")) return push({ kind: "palette" });
    if (is("nextScreen")) return go(1);
    if (is("prevScreen")) return go(-1);
    for (const s of SCREENS) if (is(s.action)) return setScreen(s.id);
    if (is("refresh")) {
      setNotice(undefined);
      return setRefreshTick((t) => t + 1);
    }
    if (is("theme")) {
      const next = nextThemeName(themeName);
      setThemeName(next);
      return setNotice({ text: `Theme: ${next}`, kind: "info" });
    }
    if (is("token")) {
      push({
        kind: "token",
        reason: "Enter a new token",
        resolve: (t) => {
          if (t !== undefined) props.client.setToken(t);
        },
      });
    }
  }, { isActive: overlay === undefined && !editing });

  const screenBox = (id: ScreenId, child: ReactElement) =>
    h(
      Box,
      {
        key: id,
        flexDirection: "column",
        display: overlay === undefined && screen === id ? "flex" : "none",
      },
      child,
    );
  const on = (id: ScreenId) => overlay === undefined && screen === id;
  let dialog: ReactElement | null = null;
  if (overlay?.kind === "help") dialog = h(HelpOverlay, { onClose: pop });
  if (overlay?.kind === "palette") dialog = h(CommandPalette, { run: props.run, onClose: pop });
  if (overlay?.kind === "confirm") {
    dialog = h(ConfirmDialog, {
      question: overlay.question,
      onAnswer: (yes: boolean) => {
        pop();
        if (yes) void overlay.onYes();
        else setNotice({ text: "Cancelled", kind: "info" });
      },
    });
  }
  if (overlay?.kind === "token") {
    dialog = h(TokenPrompt, {
      reason: overlay.reason,
      onDone: (t: string | undefined) => {
        pop();
        overlay.resolve(t);
      },
    });
  }
  return h(
    TuiContext.Provider,
    { value: services },
    h(
      Box,
      { flexDirection: "column", width, height: size.rows },
      h(Header, { screen, tokenChanges }),
      h(
        Box,
        { flexDirection: "column", height, overflow: "hidden" },
        dialog,
        screenBox(
          "keys",
          h(KeysScreen, { active: on("keys"), visible: screen === "keys", refreshTick }),
        ),
        screenBox(
          "crypto",
          h(CryptoScreen, {
            active: on("crypto"),
            keyId: cryptoKey,
            ...(props.readFile === undefined ? {} : { readFile: props.readFile }),
          }),
        ),
        screenBox(
          "approvals",
          h(ApprovalsScreen, {
            active: on("approvals"),
            visible: screen === "approvals",
            refreshTick,
          }),
        ),
        screenBox(
          "audit",
          h(AuditScreen, { active: on("audit"), visible: screen === "audit", refreshTick }),
        ),
        screenBox(
          "health",
          h(HealthScreen, { active: on("health"), visible: screen === "health", refreshTick }),
        ),
      ),
      h(Footer, { notice, editing: editing && overlay === undefined }),
    ),
  );
}
