/**
 * The actions panel of the key page: the lifecycle actions the viewer's roles and the
 * key's state allow, and each action's confirmation step (swapped into `#key-actions` by
 * htmx, or shown by `?confirm=ACTION` without JavaScript). A confirmed action posts and
 * the answer replaces the whole `#key-main` section.
 */

import { CsrfField } from "./components.tsx";
import type { View } from "./view.ts";

/** A lifecycle action offered on the key page. */
export type KeyAction = "rotate" | "rollback" | "revoke" | "destroy";

/** Every key action, in the order the panel shows them. */
export const KEY_ACTIONS: readonly KeyAction[] = ["rotate", "rollback", "revoke", "destroy"];

/** The actions panel. */
export interface KeyActionsModel {
  readonly keyId: string;
  readonly keyName: string;
  /** Actions offered (allowed by role and state). */
  readonly offered: readonly KeyAction[];
  /** The action awaiting confirmation, if any. */
  readonly confirm?: KeyAction | undefined;
  /** Versions a roll back may target. */
  readonly rollbackTargets: readonly number[];
  readonly csrfToken: string;
}

const LABEL: Readonly<Record<KeyAction, string>> = {
  rotate: "Rotate",
  rollback: "Roll back",
  revoke: "Revoke",
  destroy: "Destroy",
};

/**
 * The actions panel: the offered buttons, or one action's confirmation step. `focus`
 * (a fragment after Cancel) puts keyboard focus back on the first button.
 */
export function KeyActions(props: { model: KeyActionsModel; focus?: boolean }): View {
  const m = props.model;
  if (m.confirm !== undefined) return <ConfirmAction model={m} action={m.confirm} />;
  return (
    <div id="key-actions">
      {m.offered.length === 0
        ? <p class="hint">No lifecycle action is available to you for this key.</p>
        : (
          <div class="actions">
            {m.offered.map((action, i) => (
              <form
                method="get"
                action={`/ui/keys/${m.keyId}`}
                hx-get={`/ui/keys/${m.keyId}/actions`}
                hx-target="#key-actions"
                hx-swap="outerHTML"
              >
                <input type="hidden" name="confirm" value={action} />
                <button
                  type="submit"
                  class={action === "destroy" ? "danger" : "secondary"}
                  data-autofocus={props.focus && i === 0 ? "" : undefined}
                >
                  {LABEL[action]}
                </button>
              </form>
            ))}
          </div>
        )}
    </div>
  );
}

const EXPLAIN: Readonly<Record<KeyAction, string>> = {
  rotate:
    "Rotating adds a new version with fresh key material and makes it current. Earlier versions stay available to decrypt and verify.",
  rollback:
    "Rolling back records a new version holding the material of the version you choose, and makes it current.",
  revoke:
    "Revoking stops encryption and signing with this key; decryption and verification keep working. This cannot be undone.",
  destroy:
    "Destroying erases every version of this key for good. It needs the approval of a second administrator: this opens an approval request.",
};

function ConfirmAction(props: { model: KeyActionsModel; action: KeyAction }) {
  const { model: m, action } = props;
  const danger = action === "destroy" || action === "revoke";
  const title = `${LABEL[action]} key ${m.keyName}?`;
  return (
    <div
      id="key-actions"
      class={danger ? "confirm danger" : "confirm"}
      role="group"
      aria-labelledby="confirm-title"
    >
      <p id="confirm-title">
        <strong>{title}</strong>
      </p>
      <p>{EXPLAIN[action]}</p>
      <form
        method="post"
        action={`/ui/keys/${m.keyId}/${action}`}
        hx-post={`/ui/keys/${m.keyId}/${action}`}
        hx-target="#key-main"
        hx-swap="outerHTML"
      >
        <CsrfField token={m.csrfToken} />
        {action === "rollback"
          ? (
            <div class="field">
              <label for="rollback-version">Version</label>
              <select id="rollback-version" name="version" required>
                {m.rollbackTargets.map(versionOption)}
              </select>
            </div>
          )
          : null}
        <div class="actions">
          <button type="submit" class={danger ? "danger" : undefined} data-autofocus>
            Confirm {LABEL[action].toLowerCase()}
          </button>
          <a
            class="button secondary"
            href={`/ui/keys/${m.keyId}`}
            hx-get={`/ui/keys/${m.keyId}/actions`}
            hx-target="#key-actions"
            hx-swap="outerHTML"
          >
            Cancel
          </a>
        </div>
      </form>
    </div>
  );
}

function versionOption(version: number): View {
  return <option value={String(version)}>Version {version}</option>;
}
