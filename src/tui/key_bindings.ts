/**
 * Key bindings: every action the TUI offers, its default keys, the screen it belongs to
 * and its one-line help (shown on `?`). A config file may rebind any action; the
 * bindings are checked so that no key means two things on one screen. Key names are
 * normalised from Ink's input events (`keyName`): "a", "D", "ctrl+r", "enter",
 * "escape", "tab", "shift+tab", "up", "pagedown", "space"….
 */

import type { Key } from "ink";

/** Where an action applies: everywhere, in any list, or on one screen. */
export type BindingScope =
  | "global"
  | "list"
  | "keys"
  | "key"
  | "crypto"
  | "approvals"
  | "audit"
  | "health";

interface ActionSpec {
  readonly keys: readonly string[];
  readonly scope: BindingScope;
  readonly help: string;
}

function spec(scope: BindingScope, keys: readonly string[], help: string): ActionSpec {
  return { scope, keys, help };
}

/** Every action with its default keys, scope and help, in the order `?` lists them. */
export const ACTIONS = {
  quit: spec("global", ["q", "ctrl+c"], "Quit"),
  help: spec("global", ["?"], "Show or hide the key bindings"),
  palette: spec("global", [":"], "Command palette: run any ferrohsm CLI command line"),
  nextScreen: spec("global", ["tab"], "Next screen"),
  prevScreen: spec("global", ["shift+tab"], "Previous screen"),
  screenKeys: spec("global", ["1"], "Keys screen"),
  screenCrypto: spec("global", ["2"], "Crypto screen"),
  screenApprovals: spec("global", ["3"], "Approvals screen"),
  screenAudit: spec("global", ["4"], "Audit screen"),
  screenHealth: spec("global", ["5"], "Health and metrics screen"),
  refresh: spec("global", ["r"], "Refresh the screen"),
  theme: spec("global", ["T"], "Next colour theme"),
  token: spec("global", ["ctrl+t"], "Enter a new token"),
  up: spec("list", ["up", "k"], "Move up"),
  down: spec("list", ["down", "j"], "Move down"),
  pageUp: spec("list", ["pageup"], "Page up"),
  pageDown: spec("list", ["pagedown"], "Page down"),
  first: spec("list", ["home", "g"], "First row"),
  last: spec("list", ["end", "G"], "Last row"),
  open: spec("list", ["enter"], "Open the selected row"),
  back: spec("list", ["escape"], "Back, cancel or close"),
  filter: spec("list", ["/"], "Filter"),
  create: spec("keys", ["n"], "Create a key"),
  rotate: spec("key", ["R"], "Rotate the key (with confirmation)"),
  rollback: spec("key", ["B"], "Roll back to a version (with confirmation)"),
  revoke: spec("key", ["X"], "Revoke the key (with confirmation)"),
  destroy: spec("key", ["D"], "Request destruction (with confirmation)"),
  publicKey: spec("key", ["p"], "Show the public key"),
  useKey: spec("key", ["c"], "Use this key on the Crypto screen"),
  edit: spec("crypto", ["e"], "Edit the operation form (enter works too)"),
  copy: spec("crypto", ["y"], "Copy the result (OSC 52 clipboard)"),
  save: spec("crypto", ["w"], "Write the result to a file"),
  approve: spec("approvals", ["a"], "Approve the selected request (with confirmation)"),
  deny: spec("approvals", ["d"], "Deny the selected request (with confirmation)"),
  history: spec("approvals", ["h"], "Switch between pending and history"),
  follow: spec("audit", ["f"], "Live tail on or off"),
  verifyChain: spec("audit", ["v"], "Verify the audit chain"),
} as const satisfies Record<string, ActionSpec>;

/** An action name. */
export type ActionName = keyof typeof ACTIONS;

/** Keys per action. */
export type Bindings = Readonly<Record<ActionName, readonly string[]>>;

/** Every action name. */
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

const KEY_PATTERN =
  /^(?:(?:ctrl|meta|shift)\+)*(?:up|down|left|right|pageup|pagedown|home|end|enter|escape|tab|backspace|delete|space|[\x21-\x7e])$/;

/** True when `spec` is a key name `keyName` can produce. */
export function isKeySpec(spec: string): boolean {
  return KEY_PATTERN.test(spec);
}

/** The default bindings. */
export function defaultBindings(): Bindings {
  const out = Object.create(null) as Record<ActionName, readonly string[]>;
  for (const name of ACTION_NAMES) out[name] = ACTIONS[name].keys;
  return out;
}

/** The scopes whose keys must not collide with `scope`'s. */
function scopesSharing(scope: BindingScope): readonly BindingScope[] {
  if (scope === "global" || scope === "list") return ["global", "list"];
  return ["global", "list", scope];
}

/**
 * Checks `bindings` for keys that mean two actions on one screen.
 * @returns the first collision as a message, or undefined when there is none
 */
export function findCollision(bindings: Bindings): string | undefined {
  for (const a of ACTION_NAMES) {
    const shared = scopesSharing(ACTIONS[a].scope);
    for (const b of ACTION_NAMES) {
      if (a >= b) continue;
      const meet = shared.includes(ACTIONS[b].scope) ||
        scopesSharing(ACTIONS[b].scope).includes(ACTIONS[a].scope);
      if (!meet) continue;
      const both = bindings[a].find((k) => bindings[b].includes(k));
      if (both !== undefined) return `Cannot bind ${both} to both ${a} and ${b}`;
    }
  }
  return undefined;
}

/** The normalised name of one key press from Ink's `useInput`. */
export function keyName(input: string, key: Key): string {
  const mods = (name: string) =>
    `${key.ctrl ? "ctrl+" : ""}${key.meta && !key.escape ? "meta+" : ""}${name}`;
  if (key.upArrow) return mods("up");
  if (key.downArrow) return mods("down");
  if (key.leftArrow) return mods("left");
  if (key.rightArrow) return mods("right");
  if (key.pageUp) return mods("pageup");
  if (key.pageDown) return mods("pagedown");
  if (key.home) return mods("home");
  if (key.end) return mods("end");
  if (key.return) return mods("enter");
  if (key.escape) return "escape";
  if (key.tab) return key.shift ? "shift+tab" : mods("tab");
  if (key.backspace) return mods("backspace");
  if (key.delete) return mods("delete");
  if (input === " ") return mods("space");
  return mods(input);
}

/** True when the key press `name` is bound to `action`. */
export function isAction(bindings: Bindings, action: ActionName, name: string): boolean {
  return bindings[action].includes(name);
}

/** The keys of `action` for display ("up/k"). */
export function keysOf(bindings: Bindings, action: ActionName): string {
  return bindings[action].join("/");
}
