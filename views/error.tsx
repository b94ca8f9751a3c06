/**
 * The page shown when a dashboard request is refused or fails, and its fragment form for
 * htmx (a notice swapped into the live region). Messages are the services' own
 * (sentence case, never key material); internal errors show a generic text.
 */

import type { View } from "./view.ts";
import { Notice, type NoticeModel } from "./components.tsx";
import { Layout, type Viewer } from "./layout.tsx";

/** What went wrong. */
export interface ErrorModel {
  readonly status: number;
  readonly title: string;
  readonly message: string;
}

/** A full error page. */
export function ErrorPage(props: { model: ErrorModel; viewer?: Viewer | undefined }): View {
  const { title, message, status } = props.model;
  return (
    <Layout title={title} viewer={props.viewer}>
      <section class="panel" aria-labelledby="error-title">
        <h1 id="error-title">{title}</h1>
        <p>{message}</p>
        <p class="hint">HTTP status {status}.</p>
        {props.viewer === undefined
          ? (
            <p>
              <a href="/ui">Go to the dashboard</a>
            </p>
          )
          : null}
      </section>
    </Layout>
  );
}

/** The error as a notice (htmx swaps it into the live region). */
export function ErrorNotice(props: { model: ErrorModel }): View {
  const notice: NoticeModel = {
    kind: "error",
    text: `${props.model.title}: ${props.model.message}`,
  };
  return <Notice notice={notice} />;
}
