/**
 * The dashboard's static assets, embedded at build time (text imports, so a bundle or a
 * compiled binary carries them): htmx 2.0.11 from its npm package, our stylesheet, our
 * one script and the icon. Each is served under a URL holding a digest of its content,
 * so it can be cached for a year and a new release can never be mixed with an old copy.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import css from "../static/ui.css" with { type: "text" };
import script from "../static/ui.js" with { type: "text" };
import icon from "../static/favicon.svg" with { type: "text" };
import { toHex, utf8 } from "../src/core/encoding.ts";

/** One servable asset. */
export interface Asset {
  /** The content-hashed URL path, e.g. `/static/ui.3f2a….css`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Uint8Array<ArrayBuffer>;
}

function asset(name: string, ext: string, contentType: string, text: string): Asset {
  const body = utf8(text);
  const digest = toHex(sha256(body)).slice(0, 16);
  return { path: `/static/${name}.${digest}.${ext}`, contentType, body };
}

/** The assets by role. */
export const ASSETS = {
  htmx: asset("htmx-2.0.11", "min.js", "text/javascript; charset=utf-8", htmx),
  css: asset("ui", "css", "text/css; charset=utf-8", css),
  script: asset("ui", "js", "text/javascript; charset=utf-8", script),
  icon: asset("favicon", "svg", "image/svg+xml", icon),
} as const;

const BY_PATH: ReadonlyMap<string, Asset> = new Map(
  Object.values(ASSETS).map((a) => [a.path, a]),
);

/** The asset served at `path`, if any. */
export function assetAt(path: string): Asset | undefined {
  return BY_PATH.get(path);
}
