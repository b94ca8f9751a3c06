/**
 * Small pieces every dashboard page shares: notices (in the live region, also swapped
 * out of band by htmx), the CSRF form field, state badges, times and hashes.
 */

import type { Child } from "hono/jsx";
import type { View } from "./view.ts";
import { formatTime, shortHash } from "./format.ts";

/** The kind of a notice. */
export type NoticeKind = "success" | "error" | "info";

/** One message in the notice region. */
export interface NoticeModel {
  readonly kind: NoticeKind;
  readonly text: string;
  /** An optional link after the text. */
  readonly link?: { readonly href: string; readonly label: string };
}

/** A notice. */
export function Notice(props: { notice: NoticeModel }): View {
  const { kind, text, link } = props.notice;
  return (
    <div class={`notice ${kind}`}>
      <p>
        {text}
        {link === undefined ? null : (
          <>
            {" "}
            <a href={link.href}>{link.label}</a>
          </>
        )}
      </p>
    </div>
  );
}

/** Notices replacing the content of the page's live region (an htmx out-of-band swap). */
export function OobNotices(props: { notices: readonly NoticeModel[] }): View {
  return (
    <div id="notices" hx-swap-oob="innerHTML">
      {props.notices.map((notice) => Notice({ notice }))}
    </div>
  );
}

/** Tags as a list of `key=value` items. */
export function TagList(props: { tags: readonly (readonly [string, string])[] }): View {
  return <ul class="tags">{props.tags.map(tagItem)}</ul>;
}

function tagItem([key, value]: readonly [string, string]): View {
  return <li>{key}={value}</li>;
}

/** The hidden CSRF field every POST form carries (for use without JavaScript). */
export function CsrfField(props: { token: string }): View {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** A state as a coloured badge (the text says the state; colour is only a hint). */
export function StateBadge(props: { state: string }): View {
  const known = /^[a-z_]+$/.test(props.state) ? props.state : "neutral";
  return <span class={`badge badge-${known}`}>{props.state}</span>;
}

/** A timestamp shown in UTC with its machine-readable value. */
export function Time(props: { iso: string }): View {
  return <time datetime={props.iso}>{formatTime(props.iso)}</time>;
}

/** A hash shortened to 12 hex digits, the full value in its title. */
export function Hash(props: { value: string; label?: string }): View {
  return (
    <code class="hash" title={props.value} aria-label={props.label}>
      {shortHash(props.value)}
    </code>
  );
}

/** An error message tied to a form field. */
export function FieldError(
  props: { id: string; message?: string | undefined },
): View | null {
  return props.message === undefined
    ? null
    : <p id={props.id} class="field-error">{props.message}</p>;
}

/** A titled panel. */
export function Panel(props: { title: string; id?: string; children?: Child }): View {
  return (
    <section class="panel" id={props.id} aria-labelledby={props.id && `${props.id}-title`}>
      <h2 id={props.id && `${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}
