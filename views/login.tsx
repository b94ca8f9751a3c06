/**
 * The sign-in page: paste a bearer token (JWT) of an Administrator, Operator or Auditor.
 * A plain form (works without JavaScript); the token is sent once in the POST body and
 * never stored by the page.
 */

import type { View } from "./view.ts";
import { ASSETS } from "./assets.ts";
import { Layout } from "./layout.tsx";

/** What the sign-in page shows. */
export interface LoginModel {
  /** Why the last attempt failed (never which part of the credential). */
  readonly error?: string | undefined;
  /** Why the visitor is here (signed out, session expired). */
  readonly info?: string | undefined;
  /** True when the server requires client certificates (mTLS sign-in is possible). */
  readonly mtls: boolean;
}

/** The sign-in page. */
export function LoginPage(props: { model: LoginModel }): View {
  const { error, info, mtls } = props.model;
  return (
    <Layout title="Sign in">
      <section class="panel login" aria-labelledby="login-title">
        <div class="brand">
          <img src={ASSETS.icon.path} alt="" width="28" height="28" />
          FerroHSM
        </div>
        <h1 id="login-title">Sign in to the dashboard</h1>
        {info === undefined ? null : (
          <div class="notice info">
            <p>{info}</p>
          </div>
        )}
        {error === undefined ? null : (
          <div class="notice error" role="alert">
            <p>{error}</p>
          </div>
        )}
        <form method="post" action="/ui/login">
          <div class="field">
            <label for="token">Token</label>
            <textarea
              id="token"
              name="token"
              rows={5}
              required
              autocomplete="off"
              spellcheck={false}
              autofocus
              aria-describedby="token-hint"
              aria-invalid={error === undefined ? undefined : "true"}
            >
            </textarea>
            <p id="token-hint" class="hint">
              A JWT with the role Administrator, Operator or Auditor (mint one with{" "}
              <code>ferrohsm token mint</code>). Service tokens cannot sign in.
            </p>
          </div>
          <button type="submit">Sign in</button>
        </form>
        {mtls
          ? (
            <p class="hint">
              Client certificates listed in the server's dashboard certificate map sign in without a
              token.
            </p>
          )
          : null}
      </section>
    </Layout>
  );
}
