/**
 * The page of one key: metadata, tags, the version timeline, the public key (PEM and a
 * download link) and the lifecycle actions the viewer's roles and the key's state allow.
 * Each action first shows a confirmation step in the actions panel; the confirmed change
 * answers the whole `#key-main` section, so the new state and versions appear without a
 * reload. Without JavaScript the same steps are plain links and forms.
 */

import type { View } from "./view.ts";
import { Notice, type NoticeModel, OobNotices, StateBadge, TagList, Time } from "./components.tsx";
import { timeLeft } from "./format.ts";
import { KeyActions, type KeyActionsModel } from "./key_actions.tsx";
import { Layout, type Viewer } from "./layout.tsx";

/** One version in the timeline. */
export interface VersionModel {
  readonly version: number;
  readonly state: string;
  readonly createdAt: string;
  readonly sourceVersion?: number | undefined;
  readonly current: boolean;
  /** The key's state (a revoked key's versions are revoked, not retired). */
  readonly keyState: string;
}

/** A pending approval that concerns this key. */
export interface KeyApprovalModel {
  readonly id: string;
  readonly label: string;
  readonly requestedBy: string;
  readonly approvals: number;
  readonly quorum: number;
  readonly expiresAt: string;
}

/** Everything the key page shows. */
export interface KeyPageModel {
  readonly key: {
    readonly id: string;
    readonly name: string;
    readonly algorithm: string;
    readonly usage: readonly string[];
    readonly state: string;
    readonly currentVersion: number;
    readonly dualControl: boolean;
    readonly createdAt: string;
    readonly updatedAt: string;
    readonly tags: readonly (readonly [string, string])[];
  };
  /** Newest first. */
  readonly versions: readonly VersionModel[];
  /** The PEM of the current version (asymmetric keys), or why there is none. */
  readonly publicKey: { readonly pem: string; readonly version: number } | {
    readonly unavailable: string;
  };
  readonly actions: KeyActionsModel;
  readonly pending: readonly KeyApprovalModel[];
  /** Epoch ms the page was built (for "time left"). */
  readonly now: number;
}

/** The key page (with a notice in the live region after a redirect). */
export function KeyPage(
  props: { model: KeyPageModel; viewer: Viewer; notice?: NoticeModel | undefined },
): View {
  return (
    <Layout
      title={props.model.key.name}
      section="keys"
      viewer={props.viewer}
      notices={props.notice === undefined ? undefined : <Notice notice={props.notice} />}
    >
      <KeyMain model={props.model} />
    </Layout>
  );
}

/** The answer to a confirmed action: the refreshed section and its notice (out of band). */
export function KeyMainUpdate(
  props: { model: KeyPageModel; notice?: NoticeModel | undefined },
): View {
  return (
    <>
      <KeyMain model={props.model} focus />
      {props.notice === undefined ? null : <OobNotices notices={[props.notice]} />}
    </>
  );
}

/**
 * Everything below the header: swapped whole after a confirmed action (then `focus`
 * moves keyboard focus to the key's title, since the button pressed is gone).
 */
export function KeyMain(props: { model: KeyPageModel; focus?: boolean }): View {
  const { key, versions, publicKey, pending } = props.model;
  return (
    <section id="key-main" aria-labelledby="key-title">
      <div class="page-head">
        <div>
          <p>
            <a href="/ui/keys">Back to the inventory</a>
          </p>
          <h1 id="key-title" tabindex={-1} data-autofocus={props.focus ? "" : undefined}>
            {key.name}
          </h1>
          <p>
            {key.algorithm} · <StateBadge state={key.state} /> · current version v
            {key.currentVersion}
          </p>
        </div>
      </div>
      <div class="two-col">
        <div>
          <section class="panel" aria-labelledby="details-title">
            <h2 id="details-title">Details</h2>
            <dl class="meta">
              <dt>ID</dt>
              <dd>
                <code>{key.id}</code>
              </dd>
              <dt>Algorithm</dt>
              <dd>{key.algorithm}</dd>
              <dt>Usage</dt>
              <dd>{key.usage.join(", ")}</dd>
              <dt>State</dt>
              <dd>
                <StateBadge state={key.state} />
              </dd>
              <dt>Current version</dt>
              <dd>v{key.currentVersion}</dd>
              <dt>Dual control</dt>
              <dd>{key.dualControl ? "yes" : "no"}</dd>
              <dt>Created</dt>
              <dd>
                <Time iso={key.createdAt} />
              </dd>
              <dt>Updated</dt>
              <dd>
                <Time iso={key.updatedAt} />
              </dd>
              <dt>Tags</dt>
              <dd>
                {key.tags.length === 0 ? "none" : <TagList tags={key.tags} />}
              </dd>
            </dl>
          </section>
          <section class="panel" aria-labelledby="versions-title">
            <h2 id="versions-title">Versions</h2>
            {versions.length === 0
              ? <p class="hint">No version is left: the key is destroyed.</p>
              : null}
            <ol class="timeline" aria-label="Versions, newest first">
              {versions.map((v) => (
                <li class={v.current ? "current" : undefined}>
                  <strong>Version {v.version}</strong> <VersionBadge version={v} />
                  {v.sourceVersion === undefined
                    ? null
                    : ` · material of version ${v.sourceVersion} (roll back)`}
                  <span class="when">
                    created <Time iso={v.createdAt} />
                  </span>
                </li>
              ))}
            </ol>
          </section>
          <PublicKeyPanel keyId={key.id} publicKey={publicKey} />
        </div>
        <div>
          <section class="panel" aria-labelledby="actions-title">
            <h2 id="actions-title">Actions</h2>
            <KeyActions model={props.model.actions} />
          </section>
          {pending.length === 0 ? null : (
            <section class="panel" aria-labelledby="pending-title">
              <h2 id="pending-title">Pending approvals</h2>
              <ul>
                {pending.map((p) => (
                  <li>
                    {p.label} requested by <strong>{p.requestedBy}</strong>: {p.approvals} of{" "}
                    {p.quorum} approvals, {timeLeft(p.expiresAt, props.model.now)}.{" "}
                    <a href="/ui/approvals">Review</a>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
      </div>
    </section>
  );
}

function PublicKeyPanel(props: { keyId: string; publicKey: KeyPageModel["publicKey"] }) {
  const pk = props.publicKey;
  return (
    <section class="panel" aria-labelledby="public-title">
      <h2 id="public-title">Public key</h2>
      {"pem" in pk
        ? (
          <>
            <pre class="pem" aria-label={`Public key PEM, version ${pk.version}`}>{pk.pem}</pre>
            <a class="button secondary" href={`/ui/keys/${props.keyId}/public.pem`} download>
              Download PEM
            </a>
          </>
        )
        : <p class="hint">{pk.unavailable}</p>}
    </section>
  );
}

/**
 * What a version is for people: `current` (new encryptions and signatures), `retired`
 * (an earlier version of a live key: still decrypts and verifies; the API calls it
 * `revoked`), or the key's own end state.
 */
function VersionBadge(props: { version: VersionModel }): View {
  const v = props.version;
  if (v.current) return <span class="badge badge-active">current</span>;
  if (v.state === "revoked" && v.keyState !== "revoked") {
    return (
      <span class="badge badge-revoked" title="Still decrypts and verifies">
        retired
      </span>
    );
  }
  return <StateBadge state={v.state} />;
}
